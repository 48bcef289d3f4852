package io.tally.deadletter;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Which dead letters an operator means: every field that is set must match; none set means all of them.
 *
 * @param source {@code consumer} (dead letters, {@code dl-<n>}), {@code outbox} (DEAD outbox rows, {@code ob-<n>})
 * or {@code null} for both
 * @param status a status (consumer dead letters; DEAD outbox rows count as PARKED)
 * @param queue the work queue it failed on (consumer dead letters)
 * @param failureKind PERMANENT, TRANSIENT or POISON (consumer dead letters)
 * @param eventType the event type
 * @param reason text its reason contains (for an outbox row: its last error)
 * @param exception text its exception contains (consumer dead letters)
 * @param from failed last at or after this time
 * @param to failed last before this time
 */
public record DeadLetterFilter(@Nullable String source, @Nullable DeadLetterStatus status, @Nullable String queue,
        @Nullable String failureKind, @Nullable String eventType, @Nullable String reason, @Nullable String exception,
        @Nullable Instant from, @Nullable Instant to) {

    /** Every dead letter of a status. */
    public static DeadLetterFilter of(@Nullable DeadLetterStatus status) {
        return new DeadLetterFilter(null, status, null, null, null, null, null, null, null);
    }

    boolean consumers() {
        return this.source == null || this.source.equals("consumer");
    }

    /** Whether DEAD outbox rows can match: they have no queue, kind or exception, and stand as PARKED or DISCARDED. */
    boolean outboxRows() {
        return (this.source == null || this.source.equals("outbox")) && this.queue == null && this.failureKind == null
                && this.exception == null && (this.status == null || this.status == DeadLetterStatus.PARKED
                        || this.status == DeadLetterStatus.DISCARDED);
    }

    /** The WHERE clause over {@code tally_dead_letter}, its arguments appended to {@code args}. */
    String consumerWhere(List<Object> args) {
        List<String> terms = new ArrayList<>();
        terms.add("1 = 1");
        add(terms, args, "status = ?", this.status != null ? this.status.name() : null);
        add(terms, args, "source_queue = ?", this.queue);
        add(terms, args, "failure_kind = ?", this.failureKind);
        add(terms, args, "event_type = ?", this.eventType);
        add(terms, args, "reason LIKE ?", io.tally.jdbc.SqlLike.containing(this.reason));
        add(terms, args, "exception LIKE ?", io.tally.jdbc.SqlLike.containing(this.exception));
        add(terms, args, "last_failed_at >= ?", this.from != null ? io.tally.jdbc.SqlTime.of(this.from) : null);
        add(terms, args, "last_failed_at < ?", this.to != null ? io.tally.jdbc.SqlTime.of(this.to) : null);
        return String.join(" AND ", terms);
    }

    /** The same choice over DEAD (or DISCARDED) outbox rows. */
    io.tally.outbox.OutboxDeadRows.Filter outboxFilter() {
        return new io.tally.outbox.OutboxDeadRows.Filter(this.status == DeadLetterStatus.DISCARDED, this.eventType,
                this.reason, this.from, this.to);
    }

    private static void add(List<String> terms, List<Object> args, String term, @Nullable Object value) {
        if (value != null) {
            terms.add(term);
            args.add(value);
        }
    }
}
