package io.tally.payment.queries;

import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.tally.jdbc.SqlTime;
import io.tally.payment.payments.PaymentStatus;

/**
 * The active-query schedule of paying payments, kept on the {@code payment} row: when a payment is next asked
 * about ({@code next_query_at}), how often it was, what the last query learnt, and whether an operator must look
 * at it ({@code flagged_at}). A new payment's first query is set when it is recorded.
 */
@Repository
class QuerySchedule {

    /** Claims due payments for an active query: locked, skipped by other instances, leased until {@code leaseUntil}. */
    static final String DUE_QUERIES = """
            SELECT payment_no FROM payment
            WHERE status = :paying AND next_query_at <= :now AND flagged_at IS NULL
            ORDER BY next_query_at LIMIT :limit FOR UPDATE SKIP LOCKED""";

    private final JdbcClient jdbc;

    QuerySchedule(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    List<String> claim(Instant now, Instant leaseUntil, int limit) {
        List<String> due = this.jdbc.sql(DUE_QUERIES).param("paying", PaymentStatus.PAYING.name())
            .param("now", SqlTime.of(now)).param("limit", limit).query(String.class).list();
        if (!due.isEmpty()) {
            this.jdbc.sql("UPDATE payment SET next_query_at = :lease WHERE payment_no IN (:due)")
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

    int attempts(String paymentNo) {
        return this.jdbc.sql("SELECT query_attempts FROM payment WHERE payment_no = ?").param(paymentNo)
            .query(Integer.class).single();
    }

    /** Makes a payment's next query due now and lifts its flag (an operator's action; not called yet). */
    void queryNow(String paymentNo, Instant now) {
        this.jdbc.sql("UPDATE payment SET next_query_at = ?, flagged_at = NULL WHERE payment_no = ?")
            .params(SqlTime.of(now), paymentNo).update();
    }
}
