package io.tally.payment.refunds;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.tally.jdbc.SqlTime;
import io.tally.payment.payments.Payment;

/**
 * The {@code refund} table: one refund per payment, its {@link RefundStatus} and its schedule of attempts. Every
 * change of status is a conditional update whose statuses are bound from {@link RefundStatus}.
 */
@Repository
class RefundStore {

    /** Claims due refunds: locked, skipped by other instances (leased by {@link #claim}). */
    static final String DUE_REFUNDS = """
            SELECT refund_no FROM refund
            WHERE status = :requested AND next_attempt_at <= :now AND flagged_at IS NULL
            ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED""";

    static final String CONFIRM = """
            UPDATE refund SET status = :to, refunded_at = :refundedAt WHERE refund_no = :refundNo AND status IN (:from)""";

    private final JdbcClient jdbc;

    RefundStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Records the refund request; {@code false} when it exists already (its number is derived from the payment). */
    boolean request(String refundNo, Payment payment, String reason, Instant now) {
        return this.jdbc.sql("""
                INSERT IGNORE INTO refund (refund_no, payment_no, order_no, amount, status, requested_at, reason,
                    next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")
            .params(refundNo, payment.paymentNo(), payment.orderNo(), payment.amount(), RefundStatus.REQUESTED.name(),
                    SqlTime.of(now), reason.length() > 255 ? reason.substring(0, 255) : reason, SqlTime.of(now))
            .update() == 1;
    }

    /** Claims due refunds: locked, skipped by other instances, leased until {@code leaseUntil}. */
    List<String> claim(Instant now, Instant leaseUntil, int limit) {
        List<String> due = this.jdbc.sql(DUE_REFUNDS).param("requested", RefundStatus.REQUESTED.name())
            .param("now", SqlTime.of(now)).param("limit", limit).query(String.class).list();
        if (!due.isEmpty()) {
            this.jdbc.sql("UPDATE refund SET next_attempt_at = :lease WHERE refund_no IN (:due)")
                .param("lease", SqlTime.of(leaseUntil)).param("due", due).update();
        }
        return due;
    }

    Optional<RefundTask> task(String refundNo) {
        return this.jdbc.sql("""
                SELECT r.refund_no, r.payment_no, r.order_no, r.amount, r.status, r.attempts, r.reason,
                    p.amount AS payment_amount, p.currency
                FROM refund r JOIN payment p ON p.payment_no = r.payment_no WHERE r.refund_no = ?""")
            .param(refundNo)
            .query((rs, n) -> new RefundTask(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                    RefundStatus.valueOf(rs.getString(5)), rs.getInt(6), rs.getString(7), rs.getLong(8), rs.getString(9)))
            .optional();
    }

    /** Records a failed attempt of a pending refund; {@code next} {@code null} ends its attempts (flagged). */
    void failed(String refundNo, String error, @Nullable Instant next, boolean flag, Instant now) {
        this.jdbc.sql("""
                UPDATE refund SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
                    flagged_at = CASE WHEN ? THEN ? ELSE flagged_at END
                WHERE refund_no = ? AND status = ?""")
            .params(error.length() > 1000 ? error.substring(0, 1000) : error, SqlTime.of(next), flag, SqlTime.of(now),
                    refundNo, RefundStatus.REQUESTED.name())
            .update();
    }

    /** Records the refund confirmed by the channel; {@code false} when it was confirmed already. */
    boolean confirmed(String refundNo, Instant refundedAt) {
        return this.jdbc.sql(CONFIRM).param("to", RefundStatus.SUCCEEDED.name()).param("refundedAt", SqlTime.of(refundedAt))
            .param("refundNo", refundNo).param("from", RefundStatus.SUCCEEDED.fromNames())
            .update() == 1;
    }

    /** Makes a refund due now and lifts its flag (an operator's action); {@code false} if it is not pending. */
    boolean retryNow(String refundNo, Instant now) {
        return this.jdbc.sql("""
                UPDATE refund SET next_attempt_at = ?, flagged_at = NULL WHERE refund_no = ? AND status = ?""")
            .params(SqlTime.of(now), refundNo, RefundStatus.REQUESTED.name()).update() == 1;
    }

    /** A refund to issue. */
    record RefundTask(String refundNo, String paymentNo, String orderNo, long amount, RefundStatus status, int attempts,
            @Nullable String reason, long paymentAmount, String currency) {
    }
}
