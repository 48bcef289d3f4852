package io.tally.order.orders;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.tally.jdbc.SqlTime;
import io.tally.metrics.AfterCommit;

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

    /** An order and its lines in one statement: one consistent read, without a transaction around it. */
    private static final String SELECT = """
            SELECT o.order_no, o.user_id, o.status, o.amount, o.currency, o.pay_deadline, o.cancel_reason,
                o.cancel_detail, o.payment_no, o.refunded_amount, o.payment_alert, o.created_at,
                l.sku, l.quantity, l.unit_price
            FROM customer_order o LEFT JOIN order_line l ON l.order_no = o.order_no
            WHERE o.order_no = ?
            ORDER BY l.line_no""";

    private final JdbcClient jdbc;

    private final OrderChanges changes;

    /** The funnel's counters by "to/reason", registered at 0 when the service starts (a first increment is seen). */
    private final java.util.Map<String, Counter> funnel = new java.util.HashMap<>();

    Orders(JdbcClient jdbc, OrderChanges changes, MeterRegistry meters) {
        this.jdbc = jdbc;
        this.changes = changes;
        for (String to : List.of("PLACED", OrderStatus.AWAITING_PAYMENT.name(), OrderStatus.PAID.name())) {
            register(meters, to, null);
        }
        for (CancelReason reason : CancelReason.values()) {
            register(meters, OrderStatus.CANCELLED.name(), reason);
        }
    }

    private void register(MeterRegistry meters, String to, @Nullable CancelReason reason) {
        String tag = reason != null ? reason.name() : "none";
        this.funnel.put(to + "/" + tag, Counter.builder("tally.orders.transitions")
            .tag("to", to)
            .tag("reason", tag)
            .description("Orders placed (PLACED) and orders that reached a status, counted after commit")
            .register(meters));
    }

    /**
     * {@code tally.orders.transitions{to, reason}}, the order funnel: orders placed (PLACED) and orders that reached
     * a status, with a cancellation's reason ({@code none} otherwise), counted once their transaction commits.
     */
    private boolean counted(boolean moved, String to, @Nullable CancelReason reason) {
        if (moved) {
            Counter counter = this.funnel.get(to + "/" + (reason != null ? reason.name() : "none"));
            AfterCommit.run(counter::increment);
        }
        return moved;
    }

    /** An update of the order, and a signal of the change to whoever waits for it once it commits. */
    private boolean changed(String orderNo, int updated) {
        if (updated > 0) {
            this.changes.changed(orderNo);
        }
        return updated > 0;
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
        counted(true, "PLACED", null);
    }

    /** A transition's statement, its target and its allowed sources bound from the enum. */
    private JdbcClient.StatementSpec transition(String sql, OrderStatus to) {
        return this.jdbc.sql(sql).param("to", to.name()).param("from", to.from().stream().map(Enum::name).toList());
    }

    Optional<Order> find(String orderNo) {
        return this.jdbc.sql(SELECT).param(orderNo).query(Orders::order);
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
        return counted(changed(orderNo, transition(TO_AWAITING_PAYMENT, OrderStatus.AWAITING_PAYMENT)
            .param("amount", amount)
            .param("currency", currency)
            .param("payDeadline", SqlTime.of(payDeadline))
            .param("cancelAt", SqlTime.of(cancelAt))
            .param("now", SqlTime.of(now))
            .param("orderNo", orderNo)
            .update()), OrderStatus.AWAITING_PAYMENT.name(), null);
    }

    void price(String orderNo, String sku, long unitPrice) {
        this.jdbc.sql("UPDATE order_line SET unit_price = ? WHERE order_no = ? AND sku = ?")
            .params(unitPrice, orderNo, sku)
            .update();
    }

    boolean toPaid(String orderNo, String paymentNo, Instant now) {
        return counted(changed(orderNo, transition(TO_PAID, OrderStatus.PAID)
            .param("paymentNo", paymentNo)
            .param("now", SqlTime.of(now))
            .param("orderNo", orderNo)
            .update()), OrderStatus.PAID.name(), null);
    }

    boolean toCancelled(String orderNo, CancelReason reason, @Nullable String detail, Instant now) {
        return counted(changed(orderNo, transition(TO_CANCELLED, OrderStatus.CANCELLED)
            .param("reason", reason.name())
            .param("detail", detail)
            .param("now", SqlTime.of(now))
            .param("orderNo", orderNo)
            .update()), OrderStatus.CANCELLED.name(), reason);
    }

    boolean toTimedOut(String orderNo, Instant now) {
        return counted(changed(orderNo, this.jdbc.sql(TO_TIMED_OUT)
            .param("to", OrderStatus.CANCELLED.name())
            .param("reason", CancelReason.TIMEOUT.name())
            .param("awaiting", OrderStatus.AWAITING_PAYMENT.name())
            .param("now", SqlTime.of(now))
            .param("orderNo", orderNo)
            .update()), OrderStatus.CANCELLED.name(), CancelReason.TIMEOUT);
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
            changed(orderNo, this.jdbc.sql("UPDATE customer_order SET refunded_amount = refunded_amount + ?, updated_at = ? WHERE order_no = ?")
                .params(amount, SqlTime.of(now), orderNo)
                .update());
        }
        return inserted == 1;
    }

    void alert(String orderNo, String alert, Instant now) {
        changed(orderNo, this.jdbc.sql("UPDATE customer_order SET payment_alert = ?, updated_at = ? WHERE order_no = ?")
            .params(alert.length() > 255 ? alert.substring(0, 255) : alert, SqlTime.of(now), orderNo)
            .update());
    }

    /** The order of the rows of {@link #SELECT}: the order's columns on each, one line per row (none: no line). */
    private static Optional<Order> order(ResultSet rs) throws SQLException {
        if (!rs.next()) {
            return Optional.empty();
        }
        String orderNo = rs.getString("order_no");
        String userId = rs.getString("user_id");
        OrderStatus status = OrderStatus.valueOf(rs.getString("status"));
        Long amount = rs.getObject("amount", Long.class);
        String currency = rs.getString("currency");
        Instant payDeadline = SqlTime.instant(rs.getObject("pay_deadline", java.time.LocalDateTime.class));
        String reason = rs.getString("cancel_reason");
        String cancelDetail = rs.getString("cancel_detail");
        String paymentNo = rs.getString("payment_no");
        long refunded = rs.getLong("refunded_amount");
        String alert = rs.getString("payment_alert");
        Instant createdAt = SqlTime.instant(rs.getObject("created_at", java.time.LocalDateTime.class));
        List<Order.Item> items = new ArrayList<>();
        do {
            String sku = rs.getString("sku");
            if (sku != null) {
                items.add(new Order.Item(sku, rs.getInt("quantity"), rs.getObject("unit_price", Long.class)));
            }
        }
        while (rs.next());
        return Optional.of(new Order(orderNo, userId, status, List.copyOf(items), amount, currency, payDeadline,
                reason != null ? CancelReason.valueOf(reason) : null, cancelDetail, paymentNo, refunded, alert,
                createdAt));
    }
}
