package io.tally.payment.reconciliation;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import io.tally.payment.channel.Statement;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.KeyHolder;
import org.springframework.stereotype.Repository;

import io.tally.jdbc.SqlTime;
import io.tally.payment.payments.PaymentStatus;
import io.tally.payment.refunds.RefundStatus;

/** Reconciliation runs and their differences, and the local payments and refunds they are compared with. */
@Repository
class Reconciliations {

    private final JdbcClient jdbc;

    Reconciliations(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A run; its {@code status} is a {@link RunStatus} name. */
    record Run(long id, LocalDate statementDate, boolean scheduled, String status, String triggeredBy,
            @Nullable Integer statementLines, @Nullable Long statementTotal, int differences, int repaired,
            int heldOver, @Nullable String error, Instant startedAt, @Nullable Instant finishedAt) {
    }

    /** A difference found by a run. */
    record Difference(long id, long runId, Kind kind, String outTradeNo, @Nullable String refundNo,
            @Nullable String localView, @Nullable String channelView, Status status, @Nullable String repair,
            @Nullable String decision, @Nullable String resolvedBy, @Nullable Instant resolvedAt) {
    }

    /** What kind of difference. */
    enum Kind {
        /** Captured by the channel, not by us. */
        MISSING_LOCAL,
        /** Our success, unknown to the channel. */
        MISSING_AT_CHANNEL,
        /** Both know the capture, with other amounts. */
        AMOUNT_MISMATCH,
        /** Both know the trade, in states that disagree. */
        STATUS_MISMATCH,
        /** A refund one side has and the other lacks, or with another amount. */
        REFUND_MISMATCH
    }

    /** Where a difference stands. */
    enum Status {
        /** Waiting for an operator. */
        OPEN,
        /** Repaired through the normal state machine. */
        REPAIRED,
        /** Near the cut-off: checked again by the next day's run. */
        HELD_OVER,
        /** Closed: by an operator's decision, or found in the next day's statement. */
        RESOLVED
    }

    /** Where a run stands. */
    enum RunStatus {
        /** Started, not finished. */
        RUNNING,
        /** Compared, its differences recorded. */
        FINISHED,
        /** Could not compare (the statement could not be read, ...): a scheduled run gives its day back. */
        FAILED
    }

    /** A local payment as reconciliation sees it. */
    record LocalPayment(String paymentNo, String orderNo, PaymentStatus status, long amount, long captured,
            @Nullable Instant paidAt) {

        /** A local payment with its status as stored. */
        LocalPayment(String paymentNo, String orderNo, String status, long amount, long captured,
                @Nullable Instant paidAt) {
            this(paymentNo, orderNo, PaymentStatus.valueOf(status), amount, captured, paidAt);
        }

        /** Whether the channel captured its money as asked ({@link PaymentStatus#captured()}). */
        boolean succeeded() {
            return PaymentStatus.captured().contains(this.status);
        }
    }

    /** A local refund. */
    record LocalRefund(String refundNo, String paymentNo, long amount, RefundStatus status, @Nullable Instant refundedAt) {

        /** A local refund with its status as stored. */
        LocalRefund(String refundNo, String paymentNo, long amount, String status, @Nullable Instant refundedAt) {
            this(refundNo, paymentNo, amount, RefundStatus.valueOf(status), refundedAt);
        }
    }

    /** Starts a run; for a scheduled one, answers empty when the day's scheduled run exists already. */
    Optional<Long> start(LocalDate day, boolean scheduled, String by, Instant now) {
        KeyHolder key = new GeneratedKeyHolder();
        try {
            this.jdbc.sql("""
                    INSERT INTO reconciliation_run (statement_date, scheduled, scheduled_date, status, triggered_by, started_at)
                    VALUES (?, ?, ?, ?, ?, ?)""")
                .params(day, scheduled, scheduled ? day : null, RunStatus.RUNNING.name(), by, SqlTime.of(now))
                .update(key);
        }
        catch (org.springframework.dao.DuplicateKeyException ex) {
            return Optional.empty();
        }
        return Optional.of(key.getKey().longValue());
    }

    /** The first day the scheduler ever ran (or tried to run), if it ever did. */
    Optional<LocalDate> firstScheduledDay() {
        return this.jdbc.sql("SELECT statement_date FROM reconciliation_run WHERE scheduled ORDER BY statement_date LIMIT 1")
            .query(LocalDate.class).optional();
    }

    /** The days from {@code from} whose scheduled run exists (running or finished; a failed one gave its day back). */
    java.util.Set<LocalDate> scheduledDaysFrom(LocalDate from) {
        return new java.util.HashSet<>(this.jdbc.sql("SELECT scheduled_date FROM reconciliation_run WHERE scheduled_date >= ?")
            .param(from).query(LocalDate.class).list());
    }

    /** Finishes a run; a failed scheduled run gives up the day's slot, so the scheduler tries the day again. */
    void finish(long runId, RunStatus status, @Nullable Statement statement, int differences, int repaired,
            int heldOver, @Nullable String error, Instant now) {
        this.jdbc.sql("""
                UPDATE reconciliation_run SET status = ?, statement_lines = ?, statement_total = ?, differences = ?,
                    repaired = ?, held_over = ?, error = ?, finished_at = ?,
                    scheduled_date = CASE WHEN ? THEN NULL ELSE scheduled_date END
                WHERE id = ?""")
            .params(status.name(), statement != null ? statement.lines().size() : null,
                    statement != null ? statement.payments() - statement.refunds() : null, differences, repaired,
                    heldOver, error != null && error.length() > 1000 ? error.substring(0, 1000) : error,
                    SqlTime.of(now), status == RunStatus.FAILED, runId)
            .update();
    }

    void difference(long runId, Kind kind, String outTradeNo, @Nullable String refundNo, @Nullable String localView,
            @Nullable String channelView, Status status, @Nullable String repair) {
        this.jdbc.sql("""
                INSERT INTO reconciliation_difference (run_id, kind, out_trade_no, refund_no, local_view, channel_view,
                    status, repair)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")
            .params(runId, kind.name(), outTradeNo, refundNo, localView, channelView, status.name(), repair)
            .update();
    }

    /** Differences held over by runs of earlier days, waiting for a later statement. */
    List<Difference> heldOverBefore(LocalDate day) {
        return this.jdbc.sql(SELECT_DIFFERENCE + " WHERE status = ?"
                + " AND run_id IN (SELECT id FROM reconciliation_run WHERE statement_date < ?) ORDER BY id")
            .params(Status.HELD_OVER.name(), day)
            .query(Reconciliations::difference)
            .list();
    }

    boolean close(long differenceId, Status from, Status to, @Nullable String decision, String by, Instant now) {
        return this.jdbc.sql("""
                UPDATE reconciliation_difference SET status = ?, decision = ?, resolved_by = ?, resolved_at = ?
                WHERE id = ? AND status = ?""")
            .params(to.name(), decision, by, SqlTime.of(now), differenceId, from.name())
            .update() == 1;
    }

    Optional<LocalPayment> payment(String paymentNo) {
        return this.jdbc.sql(SELECT_PAYMENT + " WHERE payment_no = ?").param(paymentNo).query(Reconciliations::payment).optional();
    }

    /** Our successful payments paid within [from, to). */
    List<LocalPayment> paidBetween(Instant from, Instant to) {
        return this.jdbc.sql(SELECT_PAYMENT
                + " WHERE status IN (:captured) AND paid_at >= :from AND paid_at < :to ORDER BY payment_no")
            .param("captured", PaymentStatus.names(PaymentStatus.captured())).param("from", SqlTime.of(from))
            .param("to", SqlTime.of(to))
            .query(Reconciliations::payment)
            .list();
    }

    Optional<LocalRefund> refund(String refundNo) {
        return this.jdbc.sql(SELECT_REFUND + " WHERE refund_no = ?").param(refundNo).query(Reconciliations::refund).optional();
    }

    /** Our confirmed refunds within [from, to). */
    List<LocalRefund> refundedBetween(Instant from, Instant to) {
        return this.jdbc.sql(SELECT_REFUND + " WHERE status = ? AND refunded_at >= ? AND refunded_at < ? ORDER BY refund_no")
            .params(RefundStatus.SUCCEEDED.name(), SqlTime.of(from), SqlTime.of(to))
            .query(Reconciliations::refund)
            .list();
    }

    List<Run> runs(int limit) {
        return this.jdbc.sql(SELECT_RUN + " ORDER BY id DESC LIMIT ?").param(limit).query(Reconciliations::run).list();
    }

    Optional<Run> run(long id) {
        return this.jdbc.sql(SELECT_RUN + " WHERE id = ?").param(id).query(Reconciliations::run).optional();
    }

    List<Difference> differences(long runId) {
        return this.jdbc.sql(SELECT_DIFFERENCE + " WHERE run_id = ? ORDER BY id").param(runId).query(Reconciliations::difference).list();
    }

    List<Difference> differences(Status status, int limit) {
        return this.jdbc.sql(SELECT_DIFFERENCE + " WHERE status = ? ORDER BY id LIMIT ?").params(status.name(), limit)
            .query(Reconciliations::difference).list();
    }

    Optional<Difference> difference(long id) {
        return this.jdbc.sql(SELECT_DIFFERENCE + " WHERE id = ?").param(id).query(Reconciliations::difference).optional();
    }

    private static final String SELECT_PAYMENT = "SELECT payment_no, order_no, status, amount, captured_amount, paid_at FROM payment";

    private static final String SELECT_REFUND = "SELECT refund_no, payment_no, amount, status, refunded_at FROM refund";

    private static final String SELECT_RUN = """
            SELECT id, statement_date, scheduled, status, triggered_by, statement_lines, statement_total, differences,
                repaired, held_over, error, started_at, finished_at FROM reconciliation_run""";

    private static final String SELECT_DIFFERENCE = """
            SELECT id, run_id, kind, out_trade_no, refund_no, local_view, channel_view, status, repair, decision,
                resolved_by, resolved_at FROM reconciliation_difference""";

    private static LocalPayment payment(ResultSet rs, int n) throws SQLException {
        return new LocalPayment(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5),
                SqlTime.instant(rs.getObject(6, LocalDateTime.class)));
    }

    private static LocalRefund refund(ResultSet rs, int n) throws SQLException {
        return new LocalRefund(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4),
                SqlTime.instant(rs.getObject(5, LocalDateTime.class)));
    }

    private static Run run(ResultSet rs, int n) throws SQLException {
        return new Run(rs.getLong(1), rs.getObject(2, LocalDate.class), rs.getBoolean(3), rs.getString(4),
                rs.getString(5), rs.getObject(6, Integer.class), rs.getObject(7, Long.class), rs.getInt(8), rs.getInt(9),
                rs.getInt(10), rs.getString(11), SqlTime.instant(rs.getObject(12, LocalDateTime.class)),
                SqlTime.instant(rs.getObject(13, LocalDateTime.class)));
    }

    private static Difference difference(ResultSet rs, int n) throws SQLException {
        return new Difference(rs.getLong(1), rs.getLong(2), Kind.valueOf(rs.getString(3)), rs.getString(4),
                rs.getString(5), rs.getString(6), rs.getString(7), Status.valueOf(rs.getString(8)), rs.getString(9),
                rs.getString(10), rs.getString(11), SqlTime.instant(rs.getObject(12, LocalDateTime.class)));
    }
}
