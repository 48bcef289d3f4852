package io.tally.payment.payments;

import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.tally.jdbc.SqlTime;

/**
 * The {@code payable_order} table (the orders payment-service may take money for, and their
 * {@link PayableStatus}) and the {@code payment_token} table (one-time payment tokens of an order).
 */
@Repository
class PayableOrders {

    /** An order stays payable until its cancellation, whichever event comes first. */
    static final String CANCEL_PAYABLE = """
            INSERT INTO payable_order (order_no, status, cancel_reason, updated_at) VALUES (:orderNo, :cancelled, :reason, :now)
            ON DUPLICATE KEY UPDATE status = :cancelled, cancel_reason = VALUES(cancel_reason), updated_at = VALUES(updated_at)""";

    private final JdbcClient jdbc;

    PayableOrders(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Records an order as payable; a cancellation that came first wins. */
    void payable(String orderNo, long amount, String currency, Instant payDeadline, Instant now) {
        this.jdbc.sql("""
                INSERT IGNORE INTO payable_order (order_no, amount, currency, pay_deadline, status, updated_at)
                VALUES (?, ?, ?, ?, ?, ?)""")
            .params(orderNo, amount, currency, SqlTime.of(payDeadline), PayableStatus.AWAITING_PAYMENT.name(),
                    SqlTime.of(now))
            .update();
    }

    /** Whether payment-service has heard of the order (payable, or closed since): a plain read, no lock. */
    boolean knowsOrder(String orderNo) {
        return this.jdbc.sql("SELECT COUNT(*) FROM payable_order WHERE order_no = ?").param(orderNo).query(Long.class)
            .single() > 0;
    }

    /** The payable order, locked until the end of the transaction. */
    Optional<PayableOrder> lockPayable(String orderNo) {
        return this.jdbc.sql("SELECT order_no, amount, currency, pay_deadline, status FROM payable_order WHERE order_no = ? FOR UPDATE")
            .param(orderNo)
            .query((rs, n) -> new PayableOrder(rs.getString(1), rs.getObject(2, Long.class), rs.getString(3),
                    SqlTime.instant(rs.getObject(4, LocalDateTime.class)), PayableStatus.valueOf(rs.getString(5))))
            .optional();
    }

    /** Records the order as cancelled, whether it was known as payable or not. */
    void cancelPayable(String orderNo, String reason, Instant now) {
        this.jdbc.sql(CANCEL_PAYABLE).param("orderNo", orderNo).param("cancelled", PayableStatus.CANCELLED.name())
            .param("reason", reason).param("now", SqlTime.of(now)).update();
    }

    /** Whether the order is cancelled (payments of it must not keep money). */
    boolean cancelled(String orderNo) {
        return this.jdbc.sql("SELECT status FROM payable_order WHERE order_no = ?").param(orderNo).query(String.class)
            .optional().map(PayableStatus::valueOf).map(status -> status == PayableStatus.CANCELLED).orElse(false);
    }

    void issueToken(String token, String orderNo, Instant expiresAt) {
        this.jdbc.sql("INSERT INTO payment_token (token, order_no, expires_at) VALUES (?, ?, ?)")
            .params(token, orderNo, SqlTime.of(expiresAt))
            .update();
    }

    /** Consumes a one-time payment token atomically: only one request can delete it. */
    boolean consumeToken(String token, String orderNo, Instant now) {
        return this.jdbc.sql("DELETE FROM payment_token WHERE token = ? AND order_no = ? AND expires_at > ?")
            .params(token, orderNo, SqlTime.of(now))
            .update() == 1;
    }

    /** An order payment-service may take money for. */
    record PayableOrder(String orderNo, @Nullable Long amount, @Nullable String currency, @Nullable Instant payDeadline,
            PayableStatus status) {
    }
}
