package io.tally.order.orders;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.tally.jdbc.SqlTime;

/**
 * The orders table. Every change of status is a conditional update on the current status, and the statuses in
 * its SQL are bound from {@link OrderStatus}: a transition to a state is allowed from exactly the states its
 * {@link OrderStatus#from()} lists, so the enum is the one definition of the state machine.
 */
@Repository
class Orders {

    static final String TO_AWAITING_PAYMENT = """
            UPDATE customer_order SET status = :to, amount = :amount, currency = :currency,
                pay_deadline = :payDeadline, cancel_at = :cancelAt, updated_at = :now
            WHERE order_no = :orderNo AND status IN (:from)""";

    static final String TO_PAID = """
            UPDATE customer_order SET status = :to, payment_no = :paymentNo, updated_at = :now
            WHERE order_no = :orderNo AND status IN (:from)""";

    static final String TO_CANCELLED = """
            UPDATE customer_order SET status = :to, cancel_reason = :reason, cancel_detail = :detail,
                updated_at = :now
            WHERE order_no = :orderNo AND status IN (:from)""";

    /** A timeout cancels only an order still awaiting payment whose time has come. */
    static final String TO_TIMED_OUT = """
            UPDATE customer_order SET status = :to, cancel_reason = :reason, updated_at = :now
            WHERE order_no = :orderNo AND status = :awaiting AND cancel_at <= :now""";

    static final String DUE = """
            SELECT order_no FROM customer_order WHERE status = :awaiting AND cancel_at <= :now
            ORDER BY cancel_at LIMIT :limit""";

    private static final String SELECT = """
            SELECT order_no, user_id, status, amount, currency, pay_deadline, cancel_reason, cancel_detail, payment_no,
                refunded_amount, payment_alert, created_at
            FROM customer_order""";

    private final JdbcClient jdbc;

    Orders(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(String orderNo, String userId, List<Order.Item> items, io.tally.http.@Nullable IdempotentRequest request,
            Instant now) {
        this.jdbc.sql("""
                INSERT INTO customer_order (order_no, user_id, status, idempotency_key, idempotency_hash, created_at,
                    updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)""")
            .params(orderNo, userId, OrderStatus.PENDING_STOCK.name(), request != null ? request.key() : null,
                    request != null && !request.requestHash().isEmpty() ? request.requestHash() : null, SqlTime.of(now),
                    SqlTime.of(now))
            .update();
        for (int i = 0; i < items.size(); i++) {
            this.jdbc.sql("INSERT INTO order_line (order_no, line_no, sku, quantity) VALUES (?, ?, ?, ?)")
                .params(orderNo, i + 1, items.get(i).sku(), items.get(i).quantity())
                .update();
        }
    }

    /** A transition's statement, its target and its allowed sources bound from the enum. */
    private JdbcClient.StatementSpec transition(String sql, OrderStatus to) {
        return this.jdbc.sql(sql).param("to", to.name()).param("from", to.from().stream().map(Enum::name).toList());
    }

    Optional<Order> find(String orderNo) {
        return this.jdbc.sql(SELECT + " WHERE order_no = ?").param(orderNo).query(this::order).optional();
    }

    /** The order placed with this idempotency key (compared byte for byte), with the hash of its request. */
    Optional<Keyed> findByIdempotencyKey(String key) {
        return this.jdbc.sql("SELECT order_no, idempotency_hash FROM customer_order WHERE idempotency_key = ?")
            .param(key)
            .query((rs, n) -> new Keyed(rs.getString(1), rs.getString(2)))
            .optional();
    }

    /** An order found by its idempotency key. */
    record Keyed(String orderNo, @Nullable String hash) {
    }

    boolean toAwaitingPayment(String orderNo, long amount, String currency, Instant payDeadline, Instant cancelAt,
            Instant now) {
        return transition(TO_AWAITING_PAYMENT, OrderStatus.AWAITING_PAYMENT)
            .param("amount", amount)
            .param("currency", currency)
            .param("payDeadline", SqlTime.of(payDeadline))
            .param("cancelAt", SqlTime.of(cancelAt))
            .param("now", SqlTime.of(now))
            .param("orderNo", orderNo)
            .update() == 1;
    }

    void price(String orderNo, String sku, long unitPrice) {
        this.jdbc.sql("UPDATE order_line SET unit_price = ? WHERE order_no = ? AND sku = ?")
            .params(unitPrice, orderNo, sku)
            .update();
    }

    boolean toPaid(String orderNo, String paymentNo, Instant now) {
        return transition(TO_PAID, OrderStatus.PAID)
            .param("paymentNo", paymentNo)
            .param("now", SqlTime.of(now))
            .param("orderNo", orderNo)
            .update() == 1;
    }

    boolean toCancelled(String orderNo, CancelReason reason, @Nullable String detail, Instant now) {
        return transition(TO_CANCELLED, OrderStatus.CANCELLED)
            .param("reason", reason.name())
            .param("detail", detail)
            .param("now", SqlTime.of(now))
            .param("orderNo", orderNo)
            .update() == 1;
    }

    boolean toTimedOut(String orderNo, Instant now) {
        return this.jdbc.sql(TO_TIMED_OUT).param("to", OrderStatus.CANCELLED.name())
            .param("reason", CancelReason.TIMEOUT.name()).param("awaiting", OrderStatus.AWAITING_PAYMENT.name()).param("now", SqlTime.of(now)).param("orderNo", orderNo).update() == 1;
    }

    List<String> due(Instant now, int limit) {
        return this.jdbc.sql(DUE).param("awaiting", OrderStatus.AWAITING_PAYMENT.name()).param("now", SqlTime.of(now)).param("limit", limit).query(String.class).list();
    }

    /** Records a refund reported by payment-service, once per refund number. */
    boolean noteRefund(String orderNo, String paymentNo, String refundNo, long amount, Instant now) {
        int inserted = this.jdbc.sql("""
                INSERT IGNORE INTO order_refund (refund_no, order_no, payment_no, amount, noted_at)
                VALUES (?, ?, ?, ?, ?)""").params(refundNo, orderNo, paymentNo, amount, SqlTime.of(now)).update();
        if (inserted == 1) {
            this.jdbc.sql("UPDATE customer_order SET refunded_amount = refunded_amount + ?, updated_at = ? WHERE order_no = ?")
                .params(amount, SqlTime.of(now), orderNo)
                .update();
        }
        return inserted == 1;
    }

    void alert(String orderNo, String alert, Instant now) {
        this.jdbc.sql("UPDATE customer_order SET payment_alert = ?, updated_at = ? WHERE order_no = ?")
            .params(alert.length() > 255 ? alert.substring(0, 255) : alert, SqlTime.of(now), orderNo)
            .update();
    }

    private Order order(ResultSet rs, int row) throws SQLException {
        String orderNo = rs.getString("order_no");
        List<Order.Item> items = this.jdbc.sql("SELECT sku, quantity, unit_price FROM order_line WHERE order_no = ? ORDER BY line_no")
            .param(orderNo)
            .query((line, n) -> new Order.Item(line.getString(1), line.getInt(2), line.getObject(3, Long.class)))
            .list();
        String reason = rs.getString("cancel_reason");
        return new Order(orderNo, rs.getString("user_id"), OrderStatus.valueOf(rs.getString("status")), items,
                rs.getObject("amount", Long.class), rs.getString("currency"),
                SqlTime.instant(rs.getObject("pay_deadline", java.time.LocalDateTime.class)),
                reason != null ? CancelReason.valueOf(reason) : null, rs.getString("cancel_detail"),
                rs.getString("payment_no"), rs.getLong("refunded_amount"), rs.getString("payment_alert"),
                SqlTime.instant(rs.getObject("created_at", java.time.LocalDateTime.class)));
    }
}
