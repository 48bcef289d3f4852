package io.tally.payment.queries;

import java.time.Instant;
import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.tally.jdbc.SqlTime;
import io.tally.payment.payments.PaymentStatus;

/**
 * The closes of cancelled orders' trades, kept on the {@code payment} row: when a close is next tried
 * ({@code close_due_at}; {@code NULL}: no close to do) and how often it failed. A close is recorded as due in the
 * transaction that decides it (a cancellation, a trade born after it), and carried out after its commit.
 */
@Repository
public class CloseSchedule {

    private final JdbcClient jdbc;

    CloseSchedule(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Makes a close of the payment's trade due now, in the caller's transaction. */
    public void due(String paymentNo, Instant now) {
        this.jdbc.sql("UPDATE payment SET close_due_at = ?, close_attempts = 0 WHERE payment_no = ?")
            .params(SqlTime.of(now), paymentNo).update();
    }

    /**
     * Makes a close of the payment's trade due now if the payment is closed (its order was cancelled while the trade
     * was being opened, and the trade exists now), in the caller's transaction.
     * @return whether it was made due
     */
    public boolean dueIfClosed(String paymentNo, Instant now) {
        return this.jdbc.sql("UPDATE payment SET close_due_at = :now, close_attempts = 0 WHERE payment_no = :paymentNo AND status = :closed")
            .param("now", SqlTime.of(now)).param("paymentNo", paymentNo).param("closed", PaymentStatus.CLOSED.name())
            .update() == 1;
    }

    /** The close of the payment's trade is done: the channel answered and the answer is applied. */
    void done(String paymentNo) {
        this.jdbc.sql("UPDATE payment SET close_due_at = NULL WHERE payment_no = ?").param(paymentNo).update();
    }

    /** A close failed: it is tried again at {@code next}. */
    void failed(String paymentNo, Instant next) {
        this.jdbc.sql("UPDATE payment SET close_attempts = close_attempts + 1, close_due_at = ? WHERE payment_no = ?")
            .params(SqlTime.of(next), paymentNo).update();
    }

    int attempts(String paymentNo) {
        return this.jdbc.sql("SELECT close_attempts FROM payment WHERE payment_no = ?").param(paymentNo)
            .query(Integer.class).single();
    }

    /** Claims due closes: locked, skipped by other instances, leased until {@code leaseUntil}. */
    List<String> claim(Instant now, Instant leaseUntil, int limit) {
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
}
