package io.tally.outbox;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;

import io.tally.jdbc.SqlTime;

/**
 * The SQL of the outbox table. Claims and finishes are conditional on the lease, so a relay that lost its
 * lease changes nothing.
 */
final class OutboxStore {

    static final String INSERT = """
            INSERT INTO tally_outbox (message_id, aggregate_id, exchange_name, routing_key, event_type,
                schema_version, correlation_id, headers, payload, status, attempts, next_attempt_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
            """;

    /**
     * Candidates: due, unleased (or lease expired) PENDING rows in the order they fell due, locked without waiting
     * on other claimers (index {@code ix_tally_outbox_due}).
     */
    static final String SELECT_CANDIDATES = """
            SELECT id, message_id, aggregate_id, exchange_name, routing_key, event_type, schema_version,
                   correlation_id, headers, payload, attempts, created_at
              FROM tally_outbox
             WHERE status = :pending AND next_attempt_at <= :now
               AND (lease_until IS NULL OR lease_until < :now)
             ORDER BY next_attempt_at, id
             LIMIT :limit
               FOR UPDATE SKIP LOCKED
            """;

    /**
     * The earliest unfinished row of each candidate aggregate, with its state (index {@code ix_tally_outbox_open}:
     * {@code open_aggregate} is the aggregate id of PENDING and DEAD rows only). Only that row may be claimed, so
     * an aggregate has one row in flight at a time and its events leave in the order they were written; a DEAD
     * row blocks its aggregate (and only it) until an operator replays or discards it.
     */
    static final String SELECT_HEADS = """
            SELECT o.aggregate_id, o.id, o.status, o.next_attempt_at
              FROM tally_outbox o
              JOIN (SELECT open_aggregate, MIN(id) AS head_id FROM tally_outbox
                     WHERE open_aggregate IN (:aggregates)
                     GROUP BY open_aggregate) h ON o.id = h.head_id
            """;

    /**
     * Moves rows that wait behind their aggregate's head out of the claim's way: until the head's next attempt
     * when it backs off, or until an operator acts ({@link #BLOCKED}) when it is DEAD.
     */
    static final String DEFER = "UPDATE tally_outbox SET next_attempt_at = :until WHERE id IN (:ids) AND status = :pending";

    /**
     * Makes the rows behind a head due again (after an operator replayed or discarded it). No condition on
     * their time: a claim that is parking one of them right now holds its lock, and this waits for it.
     */
    static final String UNBLOCK = """
            UPDATE tally_outbox SET next_attempt_at = :now
             WHERE open_aggregate = :aggregate AND status = :pending AND id > :head
            """;

    /** The time of rows parked behind a DEAD head: never due until an operator replays or discards the head. */
    static final Instant BLOCKED = Instant.parse("9999-01-01T00:00:00Z");

    static final String LEASE = """
            UPDATE tally_outbox SET lease_owner = :owner, lease_until = :until WHERE id IN (:ids)
            """;

    static final String FINISH_SENT = """
            UPDATE tally_outbox
               SET status = :sent, sent_at = :now, lease_owner = NULL, lease_until = NULL
             WHERE id IN (:ids) AND lease_owner = :owner AND status = :pending
            """;

    static final String FINISH_FAILED = """
            UPDATE tally_outbox
               SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL
             WHERE id = ? AND lease_owner = ? AND status = ?
            """;

    /** Gives rows back unchanged: claimed, but not published through no fault of theirs (the broker was away). */
    static final String RELEASE = """
            UPDATE tally_outbox SET lease_owner = NULL, lease_until = NULL
             WHERE id IN (:ids) AND lease_owner = :owner AND status = :pending
            """;

    /** The oldest SENT rows past their retention, by the time they were sent (index {@code ix_tally_outbox_sent}). */
    static final String PURGE = """
            DELETE FROM tally_outbox WHERE status = ? AND sent_at < ? ORDER BY sent_at LIMIT ?
            """;

    /** DISCARDED rows written before the time (an operator closed them; the action stays in the audit trail). */
    static final String PURGE_DISCARDED = """
            DELETE FROM tally_outbox WHERE status = ? AND created_at < ? ORDER BY id LIMIT ?
            """;

    /**
     * The rows of a status, counted up to a cap (an index range of at most {@code cap} entries: the gauges never
     * scan the table).
     */
    static final String COUNT_CAPPED = """
            SELECT COUNT(*) FROM (SELECT 1 FROM tally_outbox WHERE status = ? LIMIT ?) capped
            """;

    /**
     * The oldest PENDING row's time: its id is the first entry of the (status, id) index (a plain ORDER BY id LIMIT 1
     * lets the optimiser walk the primary key past every older SENT row).
     */
    static final String OLDEST_PENDING = """
            SELECT created_at FROM tally_outbox WHERE id = (SELECT MIN(id) FROM tally_outbox WHERE status = ?)
            """;

    private final JdbcClient jdbc;

    private final JdbcTemplate template;

    private final org.springframework.transaction.support.TransactionTemplate own;

    /**
     * @param own the transactions of the statements the relay and the monitor run on their own (finishing,
     * purging, counting): explicit, so they commit even where the pool hands out connections with
     * auto-commit off
     */
    OutboxStore(JdbcClient jdbc, JdbcTemplate template, org.springframework.transaction.support.TransactionTemplate own) {
        this.jdbc = jdbc;
        this.template = template;
        this.own = own;
    }

    /** @throws org.springframework.transaction.IllegalTransactionStateException unless in a transaction of our DataSource */
    void requireTransaction() {
        io.tally.jdbc.OwnTransaction.require(this.template.getDataSource(), "Outbox.publish");
    }

    void insert(String messageId, String aggregateId, String exchange, String routingKey, String eventType,
            int schemaVersion, String correlationId, String headers, byte[] payload, Instant now) {
        String at = SqlTime.of(now);
        // Typed parameters: for an untyped null, Spring asks the driver for parameter metadata on every call.
        this.template.update(INSERT, ps -> {
            ps.setString(1, messageId);
            ps.setString(2, aggregateId);
            ps.setString(3, exchange);
            ps.setString(4, routingKey);
            ps.setString(5, eventType);
            ps.setInt(6, schemaVersion);
            ps.setString(7, correlationId);
            ps.setString(8, headers);
            ps.setBytes(9, payload);
            ps.setString(10, OutboxStatus.PENDING.name());
            ps.setString(11, at);
            ps.setString(12, at);
        });
    }

    /**
     * Must run in a transaction: locks the candidates, keeps the heads of their aggregates, leases them. A
     * candidate behind a head that backs off or is DEAD is deferred with it, so that later claims find
     * publishable heads directly, wherever blocked rows sit; one behind a head in flight stays due.
     */
    List<OutboxRecord> claim(String owner, int limit, Instant now, Instant leaseUntil) {
        List<OutboxRecord> candidates = this.jdbc.sql(SELECT_CANDIDATES)
            .param("pending", OutboxStatus.PENDING.name())
            .param("now", SqlTime.of(now))
            .param("limit", limit)
            .query(OutboxStore::record)
            .list();
        if (candidates.isEmpty()) {
            return candidates;
        }
        Map<String, Head> heads = new HashMap<>();
        this.jdbc.sql(SELECT_HEADS)
            .param("aggregates", candidates.stream().map(OutboxRecord::aggregateId).distinct().toList())
            .query((rs, n) -> heads.put(rs.getString("aggregate_id"), new Head(rs.getLong("id"), rs.getString("status"),
                    SqlTime.instant(rs.getObject("next_attempt_at", LocalDateTime.class)))))
            .list();
        List<OutboxRecord> claimed = new ArrayList<>(candidates.size());
        Map<Instant, List<Long>> deferred = new HashMap<>();
        for (OutboxRecord candidate : candidates) {
            Head head = heads.get(candidate.aggregateId());
            if (head == null || head.id() == candidate.id()) {
                claimed.add(candidate); // (no head: the candidate itself is the earliest unfinished row)
            }
            else if (head.status().equals(OutboxStatus.DEAD.name())) {
                deferred.computeIfAbsent(BLOCKED, t -> new ArrayList<>()).add(candidate.id());
            }
            else if (head.nextAttemptAt().isAfter(now)) {
                deferred.computeIfAbsent(head.nextAttemptAt(), t -> new ArrayList<>()).add(candidate.id());
            }
        }
        deferred.forEach((until, ids) -> this.jdbc.sql(DEFER).param("pending", OutboxStatus.PENDING.name()).param("until", SqlTime.of(until)).param("ids", ids).update());
        if (!claimed.isEmpty()) {
            this.jdbc.sql(LEASE)
                .param("owner", owner)
                .param("until", SqlTime.of(leaseUntil))
                .param("ids", ids(claimed))
                .update();
        }
        return claimed;
    }

    int finishSent(String owner, Collection<OutboxRecord> records, Instant now) {
        Integer updated = this.own.execute(status -> this.jdbc.sql(FINISH_SENT)
            .param("sent", OutboxStatus.SENT.name())
            .param("pending", OutboxStatus.PENDING.name())
            .param("now", SqlTime.of(now))
            .param("owner", owner)
            .param("ids", ids(records))
            .update());
        return updated != null ? updated : 0;
    }

    void finishFailed(String owner, List<Failure> failures) {
        this.own.executeWithoutResult(status -> this.template.batchUpdate(FINISH_FAILED, failures, failures.size(), (ps, f) -> {
            ps.setString(1, (f.dead() ? OutboxStatus.DEAD : OutboxStatus.PENDING).name());
            ps.setInt(2, f.attempts());
            ps.setString(3, SqlTime.of(f.nextAttemptAt()));
            ps.setString(4, f.error());
            ps.setLong(5, f.record().id());
            ps.setString(6, owner);
            ps.setString(7, OutboxStatus.PENDING.name());
        }));
    }

    void release(String owner, Collection<OutboxRecord> records) {
        this.own.executeWithoutResult(status -> this.jdbc.sql(RELEASE).param("pending", OutboxStatus.PENDING.name()).param("owner", owner).param("ids", ids(records))
            .update());
    }

    int purge(Instant sentBefore, int limit) {
        Integer deleted = this.own.execute(status -> this.template.update(PURGE, OutboxStatus.SENT.name(),
                SqlTime.of(sentBefore), limit));
        return deleted != null ? deleted : 0;
    }

    int purgeDiscarded(Instant writtenBefore, int limit) {
        Integer deleted = this.own.execute(status -> this.template.update(PURGE_DISCARDED,
                OutboxStatus.DISCARDED.name(), SqlTime.of(writtenBefore), limit));
        return deleted != null ? deleted : 0;
    }

    /**
     * The PENDING, DEAD and DISCARDED rows (each counted up to {@code cap}), and the oldest PENDING row's time. SENT
     * rows are not counted: they are the bulk of the table, and only the purge needs them.
     */
    Map<String, Backlog> backlog(int cap) {
        Map<String, Backlog> result = new HashMap<>();
        this.own.executeWithoutResult(status -> {
            for (String counted : List.of("PENDING", "DEAD", "DISCARDED")) {
                Long rows = this.template.queryForObject(COUNT_CAPPED, Long.class, counted, cap);
                result.put(counted, new Backlog(rows != null ? rows : 0, null));
            }
            List<LocalDateTime> oldest = this.template.queryForList(OLDEST_PENDING, LocalDateTime.class,
                    OutboxStatus.PENDING.name());
            if (!oldest.isEmpty()) {
                result.put("PENDING", new Backlog(result.get("PENDING").rows(), SqlTime.instant(oldest.get(0))));
            }
        });
        return result;
    }

    private static List<Long> ids(Collection<OutboxRecord> records) {
        return records.stream().map(OutboxRecord::id).toList();
    }

    private static OutboxRecord record(ResultSet rs, int row) throws SQLException {
        return new OutboxRecord(rs.getLong("id"), rs.getString("message_id"), rs.getString("aggregate_id"),
                rs.getString("exchange_name"), rs.getString("routing_key"), rs.getString("event_type"),
                rs.getInt("schema_version"), rs.getString("correlation_id"), rs.getString("headers"),
                rs.getBytes("payload"), rs.getInt("attempts"),
                SqlTime.instant(rs.getObject("created_at", LocalDateTime.class)));
    }

    record Failure(OutboxRecord record, int attempts, boolean dead, Instant nextAttemptAt, String error) {
    }

    /** The earliest unfinished row of an aggregate. */
    record Head(long id, String status, Instant nextAttemptAt) {
    }

    record Backlog(long rows, Instant oldest) {
    }
}
