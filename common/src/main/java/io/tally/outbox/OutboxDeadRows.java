package io.tally.outbox;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import io.tally.jdbc.SqlTime;

/**
 * DEAD outbox rows, for operators: count and list them by filter, replay one (it goes back to PENDING with its attempts reset and
 * keeps its message id) or discard one (DISCARDED, which also unblocks the later events of its aggregate).
 */
public final class OutboxDeadRows {

    static final String COLUMNS = "id, message_id, aggregate_id, exchange_name, routing_key, event_type, status, attempts,"
            + " last_error, created_at, next_attempt_at, payload, headers";

    static final String FIND = """
            SELECT %s
              FROM tally_outbox WHERE id = :id
            """.formatted(COLUMNS);

    static final String REPLAY = """
            UPDATE tally_outbox
               SET status = :pending, attempts = 0, next_attempt_at = :now, last_error = NULL,
                   lease_owner = NULL, lease_until = NULL
             WHERE id = :id AND status = :dead
            """;

    static final String DISCARD = "UPDATE tally_outbox SET status = :discarded WHERE id = :id AND status = :dead";

    private final JdbcClient jdbc;

    private final Clock clock;

    private final Runnable wakeUp;

    OutboxDeadRows(JdbcClient jdbc, Clock clock, Runnable wakeUp) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.wakeUp = wakeUp;
    }

    /**
     * Which DEAD (or DISCARDED) rows an operator means; {@code null} fields match everything.
     *
     * @param discarded DISCARDED rows instead of DEAD ones
     * @param eventType the event type
     * @param errorContains text the last error contains
     * @param from last tried at or after
     * @param to last tried before
     */
    public record Filter(boolean discarded, @Nullable String eventType, @Nullable String errorContains,
            @Nullable Instant from, @Nullable Instant to) {

        String where(List<Object> args) {
            List<String> terms = new java.util.ArrayList<>(List.of("status = ?"));
            args.add((this.discarded ? OutboxStatus.DISCARDED : OutboxStatus.DEAD).name());
            if (this.eventType != null) {
                terms.add("event_type = ?");
                args.add(this.eventType);
            }
            String errorLike = io.tally.jdbc.SqlLike.containing(this.errorContains);
            if (errorLike != null) {
                terms.add("last_error LIKE ?");
                args.add(errorLike);
            }
            if (this.from != null) {
                terms.add("next_attempt_at >= ?");
                args.add(SqlTime.of(this.from));
            }
            if (this.to != null) {
                terms.add("next_attempt_at < ?");
                args.add(SqlTime.of(this.to));
            }
            return String.join(" AND ", terms);
        }
    }

    /** How many rows the filter matches. */
    public long count(Filter filter) {
        List<Object> args = new java.util.ArrayList<>();
        String where = filter.where(args);
        return this.jdbc.sql("SELECT COUNT(*) FROM tally_outbox WHERE " + where).params(args).query(Long.class).single();
    }

    /** The rows the filter matches, newest first. */
    public List<DeadRow> list(Filter filter, int limit, int offset) {
        List<Object> args = new java.util.ArrayList<>();
        String where = filter.where(args);
        args.add(limit);
        args.add(offset);
        return this.jdbc.sql("SELECT " + COLUMNS + " FROM tally_outbox WHERE " + where + " ORDER BY id DESC LIMIT ? OFFSET ?")
            .params(args).query(OutboxDeadRows::row).list();
    }

    /** The row, whatever its status. */
    public Optional<DeadRow> find(long id) {
        return this.jdbc.sql(FIND).param("id", id).query(OutboxDeadRows::row).optional();
    }

    /**
     * Puts a DEAD row back to PENDING, and the rows of its aggregate parked behind it with it; {@code false} when
     * it is not DEAD. Wakes the relay after commit.
     */
    public boolean replay(long id) {
        boolean done = this.jdbc.sql(REPLAY).param("pending", OutboxStatus.PENDING.name())
            .param("dead", OutboxStatus.DEAD.name()).param("id", id).param("now", SqlTime.of(this.clock.instant())).update() == 1;
        if (done) {
            unblockBehind(id);
            TransactionSynchronizationManager.registerSynchronization(
                    new TransactionSynchronization() {
                        @Override
                        public void afterCommit() {
                            OutboxDeadRows.this.wakeUp.run();
                        }
                    });
        }
        return done;
    }

    /**
     * Marks a DEAD row DISCARDED, and makes the rows of its aggregate parked behind it due; {@code false} when it
     * is not DEAD. Wakes the relay after commit.
     */
    public boolean discard(long id) {
        boolean done = this.jdbc.sql(DISCARD).param("discarded", OutboxStatus.DISCARDED.name())
            .param("dead", OutboxStatus.DEAD.name()).param("id", id).update() == 1;
        if (done) {
            unblockBehind(id);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    OutboxDeadRows.this.wakeUp.run();
                }
            });
        }
        return done;
    }

    private void unblockBehind(long id) {
        String aggregate = this.jdbc.sql("SELECT aggregate_id FROM tally_outbox WHERE id = :id").param("id", id)
            .query(String.class).single();
        this.jdbc.sql(OutboxStore.UNBLOCK).param("pending", OutboxStatus.PENDING.name()).param("now", SqlTime.of(this.clock.instant())).param("aggregate", aggregate)
            .param("head", id).update();
    }

    private static DeadRow row(java.sql.ResultSet rs, int n) throws java.sql.SQLException {
        LocalDateTime next = rs.getObject("next_attempt_at", LocalDateTime.class);
        return new DeadRow(rs.getLong("id"), rs.getString("message_id"), rs.getString("aggregate_id"),
                rs.getString("exchange_name"), rs.getString("routing_key"), rs.getString("event_type"),
                rs.getString("status"), rs.getInt("attempts"), rs.getString("last_error"),
                SqlTime.instant(rs.getObject("created_at", LocalDateTime.class)),
                SqlTime.instant(next), rs.getBytes("payload"), rs.getString("headers"));
    }

    /**
     * An outbox row as operators see it.
     *
     * @param id the row id
     * @param messageId the message id
     * @param aggregateId the aggregate
     * @param exchange the exchange
     * @param routingKey the routing key
     * @param eventType the event type
     * @param status the outbox status
     * @param attempts failed publications
     * @param lastError the last publication error
     * @param createdAt when it was written
     * @param lastAttemptAt when it was last tried (its next attempt time)
     * @param payload the body
     * @param headers further headers, as JSON
     */
    public record DeadRow(long id, String messageId, String aggregateId, String exchange, String routingKey,
            String eventType, String status, int attempts, @Nullable String lastError, Instant createdAt,
            @Nullable Instant lastAttemptAt, byte[] payload, @Nullable String headers) {
    }
}
