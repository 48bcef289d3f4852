package io.tally.payment.payments;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.tally.jdbc.SqlTime;

/** The payment, payable order and refund tables. Every change of status is a conditional update. */
@Repository
class Payments {

    /** Moves a payment from one status to another; 0 rows means another transition won. */
    static final String MOVE = """
            UPDATE payment SET status = :to, updated_at = :now WHERE payment_no = :paymentNo AND status = :from""";

    static final String SUCCEED = """
            UPDATE payment SET status = 'SUCCEEDED', channel_trade_no = :tradeNo, paid_at = :paidAt,
                captured_amount = :captured, updated_at = :now
            WHERE payment_no = :paymentNo AND status = 'PAYING'""";

    static final String MARK_ABNORMAL = """
            UPDATE payment SET status = 'ABNORMAL', abnormal_reason = :reason, updated_at = :now
            WHERE payment_no = :paymentNo AND status IN ('PAYING', 'SUCCEEDED')""";

    /** An order stays payable until its cancellation, whichever event comes first. */
    static final String CANCEL_PAYABLE = """
            INSERT INTO payable_order (order_no, status, cancel_reason, updated_at) VALUES (:orderNo, 'CANCELLED', :reason, :now)
            ON DUPLICATE KEY UPDATE status = 'CANCELLED', cancel_reason = VALUES(cancel_reason), updated_at = VALUES(updated_at)""";

    private static final String SELECT = """
            SELECT p.payment_no, p.order_no, p.amount, p.currency, p.status, p.expire_at, p.channel_trade_no, p.paid_at,
                p.abnormal_reason, p.created_at, r.refund_no, r.amount AS refund_amount, r.status AS refund_status,
                r.refunded_at
            FROM payment p LEFT JOIN refund r ON r.payment_no = p.payment_no""";

    private final JdbcClient jdbc;

    Payments(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Records an order as payable; a cancellation that came first wins. */
    void payable(String orderNo, long amount, String currency, Instant payDeadline, Instant now) {
        this.jdbc.sql("""
                INSERT IGNORE INTO payable_order (order_no, amount, currency, pay_deadline, status, updated_at)
                VALUES (?, ?, ?, ?, 'AWAITING_PAYMENT', ?)""")
            .params(orderNo, amount, currency, SqlTime.of(payDeadline), SqlTime.of(now))
            .update();
    }

    /** The payable order, locked until the end of the transaction. */
    /** Whether payment-service has heard of the order (payable, or closed since): a plain read, no lock. */
    boolean knowsOrder(String orderNo) {
        return this.jdbc.sql("SELECT COUNT(*) FROM payable_order WHERE order_no = ?").param(orderNo).query(Long.class)
            .single() > 0;
    }

    Optional<PayableOrder> lockPayable(String orderNo) {
        return this.jdbc.sql("SELECT order_no, amount, currency, pay_deadline, status FROM payable_order WHERE order_no = ? FOR UPDATE")
            .param(orderNo)
            .query((rs, n) -> new PayableOrder(rs.getString(1), rs.getObject(2, Long.class), rs.getString(3),
                    SqlTime.instant(rs.getObject(4, LocalDateTime.class)), rs.getString(5)))
            .optional();
    }

    void cancelPayable(String orderNo, String reason, Instant now) {
        this.jdbc.sql(CANCEL_PAYABLE).param("orderNo", orderNo).param("reason", reason).param("now", SqlTime.of(now)).update();
    }

    void insert(String paymentNo, PayableOrder order, io.tally.http.@Nullable IdempotentRequest request, Instant now,
            Instant firstQuery) {
        this.jdbc.sql("""
                INSERT INTO payment (payment_no, order_no, amount, currency, status, expire_at, idempotency_key,
                    idempotency_hash, created_at, updated_at, next_query_at)
                VALUES (?, ?, ?, ?, 'PAYING', ?, ?, ?, ?, ?, ?)""")
            .params(paymentNo, order.orderNo(), order.amount(), order.currency(), SqlTime.of(order.payDeadline()),
                    request != null ? request.key() : null,
                    request != null && !request.requestHash().isEmpty() ? request.requestHash() : null, SqlTime.of(now),
                    SqlTime.of(now), SqlTime.of(firstQuery))
            .update();
    }

    /** Claims due payments for an active query: locked, skipped by other instances, leased until {@code leaseUntil}. */
    static final String DUE_QUERIES = """
            SELECT payment_no FROM payment
            WHERE status = 'PAYING' AND next_query_at <= :now AND flagged_at IS NULL
            ORDER BY next_query_at LIMIT :limit FOR UPDATE SKIP LOCKED""";

    static final String DUE_REFUNDS = """
            SELECT refund_no FROM refund
            WHERE status = 'REQUESTED' AND next_attempt_at <= :now AND flagged_at IS NULL
            ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED""";

    List<String> claimQueries(Instant now, Instant leaseUntil, int limit) {
        List<String> due = this.jdbc.sql(DUE_QUERIES).param("now", SqlTime.of(now)).param("limit", limit)
            .query(String.class).list();
        if (!due.isEmpty()) {
            this.jdbc.sql("UPDATE payment SET next_query_at = :lease WHERE payment_no IN (:due)")
                .param("lease", SqlTime.of(leaseUntil)).param("due", due).update();
        }
        return due;
    }

    List<String> claimRefunds(Instant now, Instant leaseUntil, int limit) {
        List<String> due = this.jdbc.sql(DUE_REFUNDS).param("now", SqlTime.of(now)).param("limit", limit)
            .query(String.class).list();
        if (!due.isEmpty()) {
            this.jdbc.sql("UPDATE refund SET next_attempt_at = :lease WHERE refund_no IN (:due)")
                .param("lease", SqlTime.of(leaseUntil)).param("due", due).update();
        }
        return due;
    }

    /** Records a query's result; {@code next} {@code null} ends the queries (flagged or settled). */
    void queried(String paymentNo, String result, @Nullable Instant next, boolean flag, Instant now) {
        this.jdbc.sql("""
                UPDATE payment SET query_attempts = query_attempts + 1, last_query_result = ?, next_query_at = ?,
                    flagged_at = CASE WHEN ? THEN ? ELSE flagged_at END
                WHERE payment_no = ?""")
            .params(result.length() > 255 ? result.substring(0, 255) : result, SqlTime.of(next), flag, SqlTime.of(now),
                    paymentNo)
            .update();
    }

    int queryAttempts(String paymentNo) {
        return this.jdbc.sql("SELECT query_attempts FROM payment WHERE payment_no = ?").param(paymentNo)
            .query(Integer.class).single();
    }

    /** Makes a payment's next query due now (an operator's action). */
    void queryNow(String paymentNo, Instant now) {
        this.jdbc.sql("UPDATE payment SET next_query_at = ?, flagged_at = NULL WHERE payment_no = ?")
            .params(SqlTime.of(now), paymentNo).update();
    }

    Optional<RefundTask> refundTask(String refundNo) {
        return this.jdbc.sql("""
                SELECT r.refund_no, r.payment_no, r.order_no, r.amount, r.status, r.attempts, r.reason
                FROM refund r WHERE r.refund_no = ?""")
            .param(refundNo)
            .query((rs, n) -> new RefundTask(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                    rs.getString(5), rs.getInt(6), rs.getString(7)))
            .optional();
    }

    void refundFailed(String refundNo, String error, @Nullable Instant next, boolean flag, Instant now) {
        this.jdbc.sql("""
                UPDATE refund SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
                    flagged_at = CASE WHEN ? THEN ? ELSE flagged_at END
                WHERE refund_no = ? AND status = 'REQUESTED'""")
            .params(error.length() > 1000 ? error.substring(0, 1000) : error, SqlTime.of(next), flag, SqlTime.of(now),
                    refundNo)
            .update();
    }

    /** Makes a refund due now and lifts its flag (an operator's action); {@code false} if it is not pending. */
    boolean retryRefundNow(String refundNo, Instant now) {
        return this.jdbc.sql("""
                UPDATE refund SET next_attempt_at = ?, flagged_at = NULL WHERE refund_no = ? AND status = 'REQUESTED'""")
            .params(SqlTime.of(now), refundNo).update() == 1;
    }

    void operatorAction(String action, String target, String operator, @Nullable String detail, Instant now) {
        this.jdbc.sql("INSERT INTO operator_action (action, target, operator, detail, acted_at) VALUES (?, ?, ?, ?, ?)")
            .params(action, target, operator, detail, SqlTime.of(now)).update();
    }

    /** A refund to issue. */
    record RefundTask(String refundNo, String paymentNo, String orderNo, long amount, String status, int attempts,
            @Nullable String reason) {
    }

    /**
     * Records the trade the channel created for the payment.
     * @return whether the payment was closed meanwhile (its order was cancelled while the trade was being opened),
     * in which case a close of the trade, which exists now, is made due
     */
    boolean tradeCreated(String paymentNo, String tradeNo, Instant now) {
        this.jdbc.sql("UPDATE payment SET channel_trade_no = ? WHERE payment_no = ? AND channel_trade_no IS NULL")
            .params(tradeNo, paymentNo).update();
        return this.jdbc.sql("UPDATE payment SET close_due_at = :now, close_attempts = 0 WHERE payment_no = :paymentNo AND status = :closed")
            .param("now", SqlTime.of(now)).param("paymentNo", paymentNo).param("closed", PaymentStatus.CLOSED.name())
            .update() == 1;
    }

    /** Withdraws a payment whose trade the channel refused to create (none exists). */
    void withdraw(String paymentNo) {
        this.jdbc.sql("DELETE FROM payment WHERE payment_no = :paymentNo AND status = :paying AND channel_trade_no IS NULL")
            .param("paymentNo", paymentNo).param("paying", PaymentStatus.PAYING.name()).update();
    }

    /** Makes a close of the payment's trade due now. */
    void closeDue(String paymentNo, Instant now) {
        this.jdbc.sql("UPDATE payment SET close_due_at = ?, close_attempts = 0 WHERE payment_no = ?")
            .params(SqlTime.of(now), paymentNo).update();
    }

    /** The close of the payment's trade is done: the channel answered and the answer is applied. */
    void closeDone(String paymentNo) {
        this.jdbc.sql("UPDATE payment SET close_due_at = NULL WHERE payment_no = ?").param(paymentNo).update();
    }

    /** A close failed: it is tried again at {@code next}. */
    void closeFailed(String paymentNo, Instant next) {
        this.jdbc.sql("UPDATE payment SET close_attempts = close_attempts + 1, close_due_at = ? WHERE payment_no = ?")
            .params(SqlTime.of(next), paymentNo).update();
    }

    int closeAttempts(String paymentNo) {
        return this.jdbc.sql("SELECT close_attempts FROM payment WHERE payment_no = ?").param(paymentNo)
            .query(Integer.class).single();
    }

    /** Claims due closes: locked, skipped by other instances, leased until {@code leaseUntil}. */
    List<String> claimCloses(Instant now, Instant leaseUntil, int limit) {
        List<String> due = this.jdbc.sql("""
                SELECT payment_no FROM payment WHERE close_due_at <= :now
                ORDER BY close_due_at LIMIT :limit FOR UPDATE SKIP LOCKED""")
            .param("now", SqlTime.of(now)).param("limit", limit).query(String.class).list();
        if (!due.isEmpty()) {
            this.jdbc.sql("UPDATE payment SET close_due_at = :lease WHERE payment_no IN (:due)")
                .param("lease", SqlTime.of(leaseUntil)).param("due", due).update();
        }
        return due;
    }

    Optional<Payment> find(String paymentNo) {
        return this.jdbc.sql(SELECT + " WHERE p.payment_no = ?").param(paymentNo).query(Payments::payment).optional();
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
            .query(Payments::payment)
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
        return this.jdbc.sql(MOVE).param("to", to.name()).param("now", SqlTime.of(now)).param("paymentNo", paymentNo)
            .param("from", from.name()).update() == 1;
    }

    boolean succeed(String paymentNo, String tradeNo, Instant paidAt, long captured, Instant now) {
        return this.jdbc.sql(SUCCEED).param("tradeNo", tradeNo).param("paidAt", SqlTime.of(paidAt))
            .param("captured", captured).param("now", SqlTime.of(now)).param("paymentNo", paymentNo).update() == 1;
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
        return this.jdbc.sql(MARK_ABNORMAL).param("reason", reason.length() > 255 ? reason.substring(0, 255) : reason)
            .param("now", SqlTime.of(now)).param("paymentNo", paymentNo).update() == 1;
    }

    /** Records the refund request; {@code false} when it exists already (its number is derived from the payment). */
    boolean requestRefund(String refundNo, Payment payment, String reason, Instant now) {
        return this.jdbc.sql("""
                INSERT IGNORE INTO refund (refund_no, payment_no, order_no, amount, status, requested_at, reason,
                    next_attempt_at)
                VALUES (?, ?, ?, ?, 'REQUESTED', ?, ?, ?)""")
            .params(refundNo, payment.paymentNo(), payment.orderNo(), payment.amount(), SqlTime.of(now),
                    reason.length() > 255 ? reason.substring(0, 255) : reason, SqlTime.of(now))
            .update() == 1;
    }

    boolean refundIssued(String refundNo, Instant refundedAt) {
        return this.jdbc.sql("UPDATE refund SET status = 'SUCCEEDED', refunded_at = ? WHERE refund_no = ? AND status = 'REQUESTED'")
            .params(SqlTime.of(refundedAt), refundNo)
            .update() == 1;
    }

    /** Stores a callback raw under its notification id; a repeated one only counts its delivery. */
    void storeCallback(String notificationId, String outTradeNo, String body, Instant now) {
        this.jdbc.sql("""
                INSERT INTO channel_callback (notification_id, out_trade_no, body, received_at) VALUES (?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE deliveries = deliveries + 1""")
            .params(notificationId, outTradeNo, body, SqlTime.of(now))
            .update();
    }

    void callbackProcessed(String notificationId, String outcome, Instant now) {
        this.jdbc.sql("UPDATE channel_callback SET processed_at = ?, outcome = ? WHERE notification_id = ?")
            .params(SqlTime.of(now), outcome, notificationId)
            .update();
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

    private static Payment payment(ResultSet rs, int row) throws SQLException {
        String refundNo = rs.getString("refund_no");
        return new Payment(rs.getString("payment_no"), rs.getString("order_no"), rs.getLong("amount"),
                rs.getString("currency"), PaymentStatus.valueOf(rs.getString("status")),
                SqlTime.instant(rs.getObject("expire_at", LocalDateTime.class)), rs.getString("channel_trade_no"),
                SqlTime.instant(rs.getObject("paid_at", LocalDateTime.class)), rs.getString("abnormal_reason"),
                refundNo == null ? null : new Payment.RefundView(refundNo, rs.getLong("refund_amount"),
                        rs.getString("refund_status"), SqlTime.instant(rs.getObject("refunded_at", LocalDateTime.class))),
                SqlTime.instant(rs.getObject("created_at", LocalDateTime.class)));
    }

    /** Whether the order is cancelled (payments of it must not keep money). */
    boolean orderCancelled(String orderNo) {
        return this.jdbc.sql("SELECT status FROM payable_order WHERE order_no = ?").param(orderNo).query(String.class)
            .optional().map("CANCELLED"::equals).orElse(false);
    }

    /** An order payment-service may take money for. */
    record PayableOrder(String orderNo, @Nullable Long amount, @Nullable String currency, @Nullable Instant payDeadline,
            String status) {
    }
}
