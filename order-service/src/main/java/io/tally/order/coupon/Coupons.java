package io.tally.order.coupon;

import java.time.Instant;
import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

import io.tally.jdbc.SqlTime;

/** The coupons table: at most one coupon per order, by its unique key. */
@Repository
public class Coupons {

    private final JdbcClient jdbc;

    Coupons(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Grants the order's coupon, in the caller's transaction; a second grant for the order fails on the key. */
    @Transactional
    public void grant(String userId, String orderNo, long amount, String currency, Instant now) {
        this.jdbc.sql("""
                INSERT INTO coupon (coupon_no, user_id, order_no, amount, currency, granted_at)
                VALUES (?, ?, ?, ?, ?, ?)""")
            .params("C" + orderNo, userId, orderNo, amount, currency, SqlTime.of(now))
            .update();
    }

    /** The user's coupons, oldest first. */
    @Transactional(readOnly = true)
    public List<Coupon> of(String userId) {
        return this.jdbc.sql("""
                SELECT coupon_no, user_id, order_no, amount, currency, granted_at FROM coupon
                WHERE user_id = ? ORDER BY granted_at, coupon_no""")
            .param(userId)
            .query((rs, n) -> new Coupon(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                    rs.getString(5), SqlTime.instant(rs.getObject(6, java.time.LocalDateTime.class))))
            .list();
    }
}
