package io.tally.payment.payments;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.tally.jdbc.SqlTime;
import io.tally.metrics.AfterCommit;
import io.tally.payment.refunds.RefundStatus;

/**
 * The {@code payment} table: the payment's record and its state machine. Every change of status is a conditional
 * update whose statuses are bound from {@link PaymentStatus}. The schedules kept on the same row (active queries,
 * closes) are the {@code queries} package's.
 */
@Repository
class PaymentStore {

    /** Moves a payment from one status to another; 0 rows means another transition won. */
    static final String MOVE = """
            UPDATE payment SET status = :to, updated_at = :now WHERE payment_no = :paymentNo AND status = :from""";

    static final String SUCCEED = """
            UPDATE payment SET status = :to, channel_trade_no = :tradeNo, paid_at = :paidAt,
                captured_amount = :captured, updated_at = :now
            WHERE payment_no = :paymentNo AND status IN (:from)""";

    static final String MARK_ABNORMAL = """
            UPDATE payment SET status = :to, abnormal_reason = :reason, updated_at = :now
            WHERE payment_no = :paymentNo AND status IN (:from)""";

    private static final String SELECT = """
            SELECT p.payment_no, p.order_no, p.amount, p.currency, p.channel, p.status, p.expire_at, p.channel_trade_no, p.pay_code, p.paid_at,
                p.abnormal_reason, p.created_at, r.refund_no, r.amount AS refund_amount, r.status AS refund_status,
                r.refunded_at
            FROM payment p LEFT JOIN refund r ON r.payment_no = p.payment_no""";

    private final JdbcClient jdbc;

    /** The counters of payments by status reached, registered at 0 when the service starts. */
    private final java.util.Map<PaymentStatus, Counter> transitions = new java.util.EnumMap<>(PaymentStatus.class);

    PaymentStore(JdbcClient jdbc, MeterRegistry meters) {
        this.jdbc = jdbc;
        for (PaymentStatus status : PaymentStatus.values()) {
            this.transitions.put(status, Counter.builder("tally.payments.transitions")
                .tag("to", status.name())
                .description("Payments that reached a status (PAYING: recorded), counted after commit")
                .register(meters));
        }
    }

    /**
     * {@code tally.payments.transitions{to}}: payments that reached a status, counted once their transaction
     * commits (PAYING is a payment recorded).
     */
    private boolean counted(boolean moved, PaymentStatus to) {
        if (moved) {
            AfterCommit.run(this.transitions.get(to)::increment);
        }
        return moved;
    }

    /** Records a new {@code PAYING} payment of the order, its first query due at {@code firstQuery}. */
    void insert(String paymentNo, PayableOrders.PayableOrder order, String channel,
            io.tally.http.@Nullable IdempotentRequest request, Instant now, Instant firstQuery) {
        this.jdbc.sql("""
                INSERT INTO payment (payment_no, order_no, amount, currency, channel, status, expire_at, idempotency_key,
                    idempotency_hash, created_at, updated_at, next_query_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
            .params(paymentNo, order.orderNo(), order.amount(), order.currency(), channel, PaymentStatus.PAYING.name(),
                    SqlTime.of(order.payDeadline()), request != null ? request.key() : null,
                    request != null && !request.requestHash().isEmpty() ? request.requestHash() : null, SqlTime.of(now),
                    SqlTime.of(now), SqlTime.of(firstQuery))
            .update();
        counted(true, PaymentStatus.PAYING);
    }

    /**
     * Records the trade the channel opened for the payment (once): what the user pays with, and the channel's trade
     * number when it gave one.
     */
    void tradeCreated(String paymentNo, @Nullable String tradeNo, String payCode) {
        this.jdbc.sql("""
                UPDATE payment SET channel_trade_no = COALESCE(channel_trade_no, ?), pay_code = ?
                WHERE payment_no = ? AND pay_code IS NULL""")
            .params(tradeNo, payCode, paymentNo).update();
    }

    /** Withdraws a payment whose trade the channel refused to create (none exists). */
    void withdraw(String paymentNo) {
        this.jdbc.sql("DELETE FROM payment WHERE payment_no = :paymentNo AND status = :paying AND channel_trade_no IS NULL "
                + "AND pay_code IS NULL")
            .param("paymentNo", paymentNo).param("paying", PaymentStatus.PAYING.name()).update();
    }

    Optional<Payment> find(String paymentNo) {
        return this.jdbc.sql(SELECT + " WHERE p.payment_no = ?").param(paymentNo).query(PaymentStore::payment).optional();
    }

    /**
     * The payment, locked until the end of the transaction (callbacks and cancellation meet here). Only the
     * payment row is locked (a locking read of the join would also lock its refund row, in the opposite order
     * to the refund worker's); MariaDB has no {@code FOR UPDATE OF}, hence two statements.
     */
    Optional<Payment> lock(String paymentNo) {
        this.jdbc.sql("SELECT payment_no FROM payment WHERE payment_no = ? FOR UPDATE").param(paymentNo).query(String.class).optional();
        return find(paymentNo);
    }

    /** The payment created with this idempotency key (compared byte for byte), with the hash of its request. */
    Optional<Keyed> findByIdempotencyKey(String key) {
        return this.jdbc.sql("SELECT payment_no, idempotency_hash FROM payment WHERE idempotency_key = ?").param(key)
            .query((rs, n) -> new Keyed(rs.getString(1), rs.getString(2))).optional();
    }

    /** A payment found by its idempotency key. */
    record Keyed(String paymentNo, @Nullable String hash) {
    }

    List<Payment> ofOrder(String orderNo) {
        return this.jdbc.sql(SELECT + " WHERE p.order_no = ? ORDER BY p.created_at, p.payment_no")
            .param(orderNo)
            .query(PaymentStore::payment)
            .list();
    }

    /** The order's payments, locked until the end of the transaction. */
    List<Payment> lockOfOrder(String orderNo) {
        this.jdbc.sql("SELECT payment_no FROM payment WHERE order_no = ? FOR UPDATE").param(orderNo).query(String.class).list();
        return ofOrder(orderNo);
    }

    boolean move(String paymentNo, PaymentStatus from, PaymentStatus to, Instant now) {
        if (!to.from().contains(from)) {
            throw new IllegalArgumentException("No transition " + from + " -> " + to);
        }
        return counted(this.jdbc.sql(MOVE).param("to", to.name()).param("now", SqlTime.of(now)).param("paymentNo", paymentNo)
            .param("from", from.name()).update() == 1, to);
    }

    boolean succeed(String paymentNo, String tradeNo, Instant paidAt, long captured, Instant now) {
        return counted(this.jdbc.sql(SUCCEED).param("to", PaymentStatus.SUCCEEDED.name()).param("tradeNo", tradeNo)
            .param("paidAt", SqlTime.of(paidAt)).param("captured", captured).param("now", SqlTime.of(now))
            .param("paymentNo", paymentNo).param("from", PaymentStatus.SUCCEEDED.fromNames()).update() == 1,
                PaymentStatus.SUCCEEDED);
    }

    /**
     * Records money the channel captured for a payment that does not succeed (captured after its close, or not the
     * amount asked), so that what we hold matches the channel's statement.
     */
    void captured(String paymentNo, @Nullable String tradeNo, @Nullable Instant paidAt, long captured, Instant now) {
        this.jdbc.sql("""
                UPDATE payment SET captured_amount = ?, paid_at = COALESCE(paid_at, ?),
                    channel_trade_no = COALESCE(channel_trade_no, ?), updated_at = ?
                WHERE payment_no = ?""")
            .params(captured, SqlTime.of(paidAt), tradeNo, SqlTime.of(now), paymentNo)
            .update();
    }

    boolean markAbnormal(String paymentNo, String reason, Instant now) {
        return counted(this.jdbc.sql(MARK_ABNORMAL).param("to", PaymentStatus.ABNORMAL.name())
            .param("reason", reason.length() > 255 ? reason.substring(0, 255) : reason).param("now", SqlTime.of(now))
            .param("paymentNo", paymentNo).param("from", PaymentStatus.ABNORMAL.fromNames()).update() == 1,
                PaymentStatus.ABNORMAL);
    }

    private static Payment payment(ResultSet rs, int row) throws SQLException {
        String refundNo = rs.getString("refund_no");
        return new Payment(rs.getString("payment_no"), rs.getString("order_no"), rs.getLong("amount"),
                rs.getString("currency"), rs.getString("channel"), PaymentStatus.valueOf(rs.getString("status")),
                SqlTime.instant(rs.getObject("expire_at", LocalDateTime.class)), rs.getString("channel_trade_no"), rs.getString("pay_code"),
                SqlTime.instant(rs.getObject("paid_at", LocalDateTime.class)), rs.getString("abnormal_reason"),
                refundNo == null ? null : new Payment.RefundView(refundNo, rs.getLong("refund_amount"),
                        RefundStatus.valueOf(rs.getString("refund_status")),
                        SqlTime.instant(rs.getObject("refunded_at", LocalDateTime.class))),
                SqlTime.instant(rs.getObject("created_at", LocalDateTime.class)));
    }
}
