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
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)
            """;

    /** Candidates: due, unleased (or lease expired) PENDING rows, locked without waiting on other claimers. */
    static final String SELECT_CANDIDATES = """
            SELECT id, message_id, aggregate_id, exchange_name, routing_key, event_type, schema_version,
                   correlation_id, headers, payload, attempts, created_at
              FROM tally_outbox
             WHERE status = 'PENDING' AND next_attempt_at <= :now
               AND (lease_until IS NULL OR lease_until < :now)
             ORDER BY id
             LIMIT :limit
               FOR UPDATE SKIP LOCKED
            """;

    /**
     * The earliest unfinished row of each candidate aggregate. Only that row may be claimed, so an
     * aggregate has one row in flight at a time and its events leave in the order they were written; a
     * DEAD row blocks its aggregate (and only it) until an operator replays or discards it.
     */
    static final String SELECT_HEADS = """
            SELECT aggregate_id, MIN(id) AS head_id
              FROM tally_outbox
             WHERE aggregate_id IN (:aggregates) AND status IN ('PENDING', 'DEAD')
             GROUP BY aggregate_id
            """;

    static final String LEASE = """
            UPDATE tally_outbox SET lease_owner = :owner, lease_until = :until WHERE id IN (:ids)
            """;

    static final String FINISH_SENT = """
            UPDATE tally_outbox
               SET status = 'SENT', sent_at = :now, lease_owner = NULL, lease_until = NULL
             WHERE id IN (:ids) AND lease_owner = :owner AND status = 'PENDING'
            """;

    static final String FINISH_FAILED = """
            UPDATE tally_outbox
               SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL
             WHERE id = ? AND lease_owner = ? AND status = 'PENDING'
            """;

    static final String PURGE = """
            DELETE FROM tally_outbox WHERE status = 'SENT' AND sent_at < ? ORDER BY id LIMIT ?
            """;

    static final String COUNT_BY_STATUS = """
            SELECT status, COUNT(*) AS n, MIN(created_at) AS oldest FROM tally_outbox GROUP BY status
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
            ps.setString(10, at);
            ps.setString(11, at);
        });
    }

    /** Must run in a transaction: locks the candidates, keeps the heads of their aggregates, leases them. */
    List<OutboxRecord> claim(String owner, int limit, Instant now, Instant leaseUntil) {
        List<OutboxRecord> candidates = this.jdbc.sql(SELECT_CANDIDATES)
            .param("now", SqlTime.of(now))
            .param("limit", limit)
            .query(OutboxStore::record)
            .list();
        if (candidates.isEmpty()) {
            return candidates;
        }
        Map<String, Long> heads = new HashMap<>();
        this.jdbc.sql(SELECT_HEADS)
            .param("aggregates", candidates.stream().map(OutboxRecord::aggregateId).distinct().toList())
            .query((rs, n) -> heads.put(rs.getString("aggregate_id"), rs.getLong("head_id")))
            .list();
        List<OutboxRecord> claimed = new ArrayList<>(candidates.size());
        for (OutboxRecord candidate : candidates) {
            Long head = heads.get(candidate.aggregateId());
            if (head != null && head == candidate.id()) {
                claimed.add(candidate);
            }
        }
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
            .param("now", SqlTime.of(now))
            .param("owner", owner)
            .param("ids", ids(records))
            .update());
        return updated != null ? updated : 0;
    }

    void finishFailed(String owner, List<Failure> failures) {
        this.own.executeWithoutResult(status -> this.template.batchUpdate(FINISH_FAILED, failures, failures.size(), (ps, f) -> {
            ps.setString(1, f.dead() ? "DEAD" : "PENDING");
            ps.setInt(2, f.attempts());
            ps.setString(3, SqlTime.of(f.nextAttemptAt()));
            ps.setString(4, f.error());
            ps.setLong(5, f.record().id());
            ps.setString(6, owner);
        }));
    }

    int purge(Instant sentBefore, int limit) {
        Integer deleted = this.own.execute(status -> this.template.update(PURGE, SqlTime.of(sentBefore), limit));
        return deleted != null ? deleted : 0;
    }

    Map<String, Backlog> backlog() {
        Map<String, Backlog> result = new HashMap<>();
        this.own.executeWithoutResult(status -> this.jdbc.sql(COUNT_BY_STATUS).query((rs, n) -> {
            LocalDateTime oldest = rs.getObject("oldest", LocalDateTime.class);
            return result.put(rs.getString("status"),
                    new Backlog(rs.getLong("n"), oldest != null ? SqlTime.instant(oldest) : null));
        }).list());
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

    record Backlog(long rows, Instant oldest) {
    }
}
