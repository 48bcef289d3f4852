package io.tally.deadletter.web;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.tally.jdbc.SqlTime;
import io.tally.topology.Topology;

/**
 * The events of one aggregate (an order) as this service saw them, for an operator following it across the
 * services: what it published (its outbox rows, with their message ids and how far each got) and which of a list of
 * message ids its consumers handled (its dedup table). Read-only; guarded by the operator chain like every
 * {@code /api/admin} endpoint.
 */
@RestController
@Validated
@RequestMapping("/api/admin/events")
public class EventTrailController {

    /** The most rows answered for one aggregate, and the most message ids asked about at once. */
    static final int LIMIT = 200;

    private final JdbcClient jdbc;

    private final Topology topology;

    public EventTrailController(JdbcClient jdbc, Topology topology) {
        this.jdbc = jdbc;
        this.topology = topology;
    }

    /** An outbox row: an event this service published (or is to publish) about the aggregate. */
    public record Published(String messageId, String eventType, int schemaVersion, String status, int attempts,
            @Nullable String correlationId, Instant createdAt, @Nullable Instant sentAt, @Nullable String lastError) {
    }

    /** A message this service's consumer handled. */
    public record Handled(String consumer, String messageId, Instant handledAt) {
    }

    /** What this service published about {@code aggregateId}, oldest first (SENT rows are kept for their retention). */
    @GetMapping("/published")
    public List<Published> published(@RequestParam @jakarta.validation.constraints.Size(max = 128) String aggregateId) {
        return this.jdbc.sql("""
                SELECT message_id, event_type, schema_version, status, attempts, correlation_id, created_at, sent_at,
                    last_error
                FROM tally_outbox WHERE aggregate_id = ? ORDER BY id LIMIT ?""")
            .params(aggregateId, LIMIT)
            .query((rs, n) -> new Published(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getInt(5),
                    rs.getString(6), at(rs, 7), SqlTime.instant(rs.getObject(8, LocalDateTime.class)), rs.getString(9)))
            .list();
    }

    /** Which of these message ids this service's consumers handled, and when. */
    @GetMapping("/handled")
    public List<Handled> handled(@RequestParam @jakarta.validation.constraints.Size(max = LIMIT)
            List<@jakarta.validation.constraints.Size(max = 64) String> messageId) {
        List<String> queues = this.topology.workQueues();
        if (messageId.isEmpty() || queues.isEmpty()) {
            return List.of();
        }
        return this.jdbc.sql("""
                SELECT consumer, message_id, handled_at FROM tally_inbox
                WHERE consumer IN (:queues) AND message_id IN (:ids) ORDER BY handled_at""")
            .paramSource(Map.of("queues", queues, "ids", messageId))
            .query((rs, n) -> new Handled(rs.getString(1), rs.getString(2), at(rs, 3)))
            .list();
    }

    private static Instant at(ResultSet rs, int column) throws SQLException {
        Instant at = SqlTime.instant(rs.getObject(column, LocalDateTime.class));
        if (at == null) {
            throw new SQLException("column " + column + " is null");
        }
        return at;
    }
}
