package io.tally.deadletter;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;

import io.tally.jdbc.SqlTime;

/**
 * The SQL of the dead-letter tables.
 */
final class DeadLetterStore {

    static final String SELECT_FOR_UPDATE = """
            SELECT id, redrive_count, status FROM tally_dead_letter
             WHERE source_queue = :queue AND message_id = :messageId FOR UPDATE
            """;

    static final String INSERT = """
            INSERT INTO tally_dead_letter (message_id, source_queue, original_exchange, original_routing_key,
                event_type, content_type, headers, properties, body, reason, failure_kind, exception, attempts,
                failures, status, redrive_count, next_redrive_at, first_failed_at, last_failed_at, updated_at)
            VALUES (:messageId, :queue, :exchange, :routingKey, :eventType, :contentType, :headers, :properties,
                :body, :reason, :kind, :exception, :attempts, 1, :status, 0, :next, :failedAt, :failedAt, :failedAt)
            """;

    static final String UPDATE_AGAIN = """
            UPDATE tally_dead_letter
               SET headers = :headers, properties = :properties, body = :body, reason = :reason,
                   failure_kind = :kind, exception = :exception, attempts = :attempts, failures = failures + 1,
                   status = :status, next_redrive_at = :next, last_failed_at = :failedAt, updated_at = :failedAt
             WHERE id = :id
            """;

    /** Another failure of a dead letter an operator discarded: counted, the decision kept. */
    static final String FAILED_AFTER_DISCARD = """
            UPDATE tally_dead_letter SET failures = failures + 1, last_failed_at = :failedAt, updated_at = :failedAt
             WHERE id = :id
            """;

    static final String SELECT_DUE = """
            SELECT * FROM tally_dead_letter
             WHERE status = 'SCHEDULED' AND next_redrive_at <= :now
             ORDER BY next_redrive_at LIMIT :limit
               FOR UPDATE SKIP LOCKED
            """;

    /** Claims locked due rows for a re-drive: they are not due again until the claim expires. */
    static final String CLAIM = "UPDATE tally_dead_letter SET next_redrive_at = :until WHERE id IN (:ids)";

    /** A re-drive that failed: counted, and scheduled again, or parked after the last one. */
    static final String REDRIVE_FAILED = """
            UPDATE tally_dead_letter
               SET redrive_count = redrive_count + 1, status = :status, next_redrive_at = :next,
                   reason = :reason, updated_at = :now
             WHERE id = :id AND status = 'SCHEDULED'
            """;

    static final String MARK = """
            UPDATE tally_dead_letter
               SET status = :status, redrive_count = redrive_count + :redriven, next_redrive_at = NULL, updated_at = :now
             WHERE id = :id AND status = :from
            """;

    /** Closed dead letters past their retention, a bounded batch (index {@code ix_tally_dead_letter_closed}). */
    static final String PURGE_CLOSED = """
            DELETE FROM tally_dead_letter WHERE status = :status AND updated_at < :before ORDER BY updated_at LIMIT 1000
            """;

    static final String PURGE_ACTIONS = """
            DELETE FROM tally_dead_letter_action WHERE acted_at < :before ORDER BY acted_at LIMIT 1000
            """;

    static final String INSERT_ACTION = """
            INSERT INTO tally_dead_letter_action (target, action, actor, reason, acted_at)
            VALUES (:target, :action, :actor, :reason, :at)
            """;

    private final JdbcClient jdbc;

    DeadLetterStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Must run in a transaction: stores a new dead letter or a new failure of a known one. */
    DeadLetterStatus record(Incoming in, DeadLetterProperties properties, Instant now) {
        List<Object[]> existing = this.jdbc.sql(SELECT_FOR_UPDATE)
            .param("queue", in.sourceQueue())
            .param("messageId", in.messageId())
            .query((rs, n) -> new Object[] { rs.getLong(1), rs.getInt(2), rs.getString(3) })
            .list();
        if (!existing.isEmpty() && DeadLetterStatus.DISCARDED.name().equals(existing.get(0)[2])) {
            // an operator decided: a later copy failing again does not reopen it
            this.jdbc.sql(FAILED_AFTER_DISCARD).param("failedAt", SqlTime.of(now)).param("id", existing.get(0)[0]).update();
            action("dl-" + existing.get(0)[0], "FAILED_AGAIN", "compensation-consumer",
                    "failed again after it was discarded; it stays discarded: " + in.reason(), now);
            return DeadLetterStatus.DISCARDED;
        }
        int redrives = existing.isEmpty() ? 0 : (Integer) existing.get(0)[1];
        boolean schedule = "TRANSIENT".equals(in.kind()) && redrives < properties.maxRedrives();
        DeadLetterStatus status = schedule ? DeadLetterStatus.SCHEDULED : DeadLetterStatus.PARKED;
        Instant next = schedule ? now.plus(properties.redriveDelay(redrives + 1)) : null;
        JdbcClient.StatementSpec spec = this.jdbc.sql(existing.isEmpty() ? INSERT : UPDATE_AGAIN)
            .param("messageId", in.messageId())
            .param("queue", in.sourceQueue())
            .param("exchange", in.originalExchange())
            .param("routingKey", in.originalRoutingKey())
            .param("eventType", in.eventType())
            .param("contentType", in.contentType())
            .param("headers", in.headers())
            .param("properties", in.properties())
            .param("body", in.body())
            .param("reason", truncate(in.reason(), 500))
            .param("kind", in.kind())
            .param("exception", in.exception())
            .param("attempts", in.attempts())
            .param("status", status.name())
            .param("next", SqlTime.of(next))
            .param("failedAt", SqlTime.of(now));
        if (!existing.isEmpty()) {
            spec = spec.param("id", existing.get(0)[0]);
        }
        spec.update();
        return status;
    }

    /**
     * Must run in a transaction: claims due re-drives (locked without waiting on other instances, then moved
     * out of the way until {@code claimUntil}), so that they are sent after the commit, holding no lock.
     */
    List<DeadLetter> claimDue(Instant now, Instant claimUntil, int limit) {
        List<DeadLetter> due = this.jdbc.sql(SELECT_DUE).param("now", SqlTime.of(now)).param("limit", limit)
            .query(DeadLetterStore::row).list();
        if (!due.isEmpty()) {
            this.jdbc.sql(CLAIM).param("until", SqlTime.of(claimUntil)).param("ids", due.stream().map(DeadLetter::id).toList())
                .update();
        }
        return due;
    }

    /** Records a failed re-drive: scheduled again at {@code next}, or parked when {@code next} is {@code null}. */
    void redriveFailed(long id, String reason, @Nullable Instant next, Instant now) {
        this.jdbc.sql(REDRIVE_FAILED)
            .param("status", next != null ? DeadLetterStatus.SCHEDULED.name() : DeadLetterStatus.PARKED.name())
            .param("next", SqlTime.of(next))
            .param("reason", truncate(reason, 500))
            .param("now", SqlTime.of(now))
            .param("id", id)
            .update();
    }

    boolean mark(long id, DeadLetterStatus from, DeadLetterStatus to, boolean redriven, Instant now) {
        return this.jdbc.sql(MARK)
            .param("status", to.name())
            .param("redriven", redriven ? 1 : 0)
            .param("now", SqlTime.of(now))
            .param("id", id)
            .param("from", from.name())
            .update() == 1;
    }

    Optional<DeadLetter> find(long id) {
        return this.jdbc.sql("SELECT * FROM tally_dead_letter WHERE id = :id").param("id", id).query(DeadLetterStore::row).optional();
    }

    Optional<DeadLetter> lock(long id) {
        return this.jdbc.sql("SELECT * FROM tally_dead_letter WHERE id = :id FOR UPDATE")
            .param("id", id)
            .query(DeadLetterStore::row)
            .optional();
    }

    /** How many dead letters the filter matches. */
    long count(DeadLetterFilter filter) {
        List<Object> args = new ArrayList<>();
        String where = filter.consumerWhere(args);
        return this.jdbc.sql("SELECT COUNT(*) FROM tally_dead_letter WHERE " + where).params(args).query(Long.class).single();
    }

    /** The dead letters the filter matches, newest first. */
    List<DeadLetter> list(DeadLetterFilter filter, int limit, int offset) {
        List<Object> args = new ArrayList<>();
        String where = filter.consumerWhere(args);
        args.add(limit);
        args.add(offset);
        return this.jdbc.sql("SELECT * FROM tally_dead_letter WHERE " + where + " ORDER BY id DESC LIMIT ? OFFSET ?")
            .params(args).query(DeadLetterStore::row).list();
    }

    /**
     * The dead letters the filter matches, grouped by queue, failure kind, exception class and reason, largest
     * group first, each with its count and its first and last failure.
     */
    List<Group> groups(DeadLetterFilter filter, int limit) {
        List<Object> args = new ArrayList<>();
        String where = filter.consumerWhere(args);
        args.add(limit);
        return this.jdbc.sql("SELECT source_queue, failure_kind, exception_class, pattern, COUNT(*) AS n,"
                + " MIN(reason) AS example, MIN(first_failed_at) AS first_at, MAX(last_failed_at) AS last_at FROM ("
                + " SELECT source_queue, failure_kind, first_failed_at, last_failed_at, reason,"
                + " SUBSTRING_INDEX(SUBSTRING_INDEX(COALESCE(exception, ''), CHAR(10), 1), ':', 1) AS exception_class,"
                + " " + REASON_PATTERN + " AS pattern"
                + " FROM tally_dead_letter WHERE " + where + ") failures"
                + " GROUP BY source_queue, failure_kind, exception_class, pattern ORDER BY n DESC LIMIT ?")
            .params(args)
            .query((rs, n) -> new Group(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                    rs.getString(6), SqlTime.instant(rs.getObject(7, LocalDateTime.class)),
                    SqlTime.instant(rs.getObject(8, LocalDateTime.class))))
            .list();
    }

    /**
     * A reason with its identifiers masked: every word that holds a digit (an order number, a UUID, a count)
     * becomes {@code #}, so that "unknown SKU sku-17 in O12" and "unknown SKU sku-4 in O99" are one failure.
     * (A pattern both MySQL's ICU and MariaDB's PCRE read alike.)
     */
    static final String REASON_PATTERN = "REGEXP_REPLACE(COALESCE(reason, ''), '[A-Za-z0-9_.:-]*[0-9][A-Za-z0-9_.:-]*', '#')";

    /** Dead letters that failed alike: same queue, kind, exception class and reason but for identifiers. */
    record Group(String queue, String failureKind, String exceptionClass, String reasonPattern, long count,
            String exampleReason, Instant firstFailedAt, Instant lastFailedAt) {
    }

    void action(String target, String action, String actor, @Nullable String reason, Instant now) {
        this.jdbc.sql(INSERT_ACTION)
            .param("target", target)
            .param("action", action)
            .param("actor", actor)
            .param("reason", truncate(reason, 1000))
            .param("at", SqlTime.of(now))
            .update();
    }

    List<DeadLetterAction> actions(String target) {
        return this.jdbc.sql("SELECT action, actor, reason, acted_at FROM tally_dead_letter_action WHERE target = :t ORDER BY id")
            .param("t", target)
            .query((rs, n) -> new DeadLetterAction(rs.getString(1), rs.getString(2), rs.getString(3),
                    SqlTime.instant(rs.getObject(4, LocalDateTime.class))))
            .list();
    }

    /** The most dead letters of one status the gauge counts: an index range of at most this many entries. */
    static final int GAUGE_CAP = 10_000;

    /**
     * Dead letters by status, each counted up to {@link #GAUGE_CAP} (index {@code ix_tally_dead_letter_list}), so
     * that the gauge's refresh costs the same however many pile up after an outage; the list's totals are exact.
     */
    /**
     * Dead letters not closed yet (SCHEDULED for a re-drive, PARKED for an operator) by source queue and status,
     * at most {@code GAUGE_CAP} rows counted.
     */
    java.util.Map<io.micrometer.core.instrument.Tags, Long> openByQueue() {
        java.util.Map<io.micrometer.core.instrument.Tags, Long> counts = new java.util.HashMap<>();
        this.jdbc.sql("""
                SELECT source_queue, status, COUNT(*) FROM (
                    SELECT source_queue, status FROM tally_dead_letter WHERE status IN (:scheduled, :parked) LIMIT :cap
                ) capped GROUP BY source_queue, status""")
            .param("scheduled", DeadLetterStatus.SCHEDULED.name())
            .param("parked", DeadLetterStatus.PARKED.name())
            .param("cap", GAUGE_CAP)
            .query((rs, n) -> counts.put(io.micrometer.core.instrument.Tags.of("queue", rs.getString(1), "status",
                    rs.getString(2)), rs.getLong(3)))
            .list();
        return counts;
    }

    java.util.Map<String, Long> countByStatus() {
        java.util.Map<String, Long> counts = new java.util.HashMap<>();
        for (DeadLetterStatus status : DeadLetterStatus.values()) {
            counts.put(status.name(), this.jdbc
                .sql("SELECT COUNT(*) FROM (SELECT 1 FROM tally_dead_letter WHERE status = ? LIMIT ?) capped")
                .params(status.name(), GAUGE_CAP)
                .query(Long.class)
                .single());
        }
        return counts;
    }

    /**
     * Purges closed dead letters changed before {@code closedBefore}, and actions before {@code actionsBefore}, a
     * bounded batch per transaction of {@code own}.
     */
    int purge(Instant closedBefore, Instant actionsBefore, org.springframework.transaction.support.TransactionTemplate own) {
        int total = 0;
        for (DeadLetterStatus closed : List.of(DeadLetterStatus.REDRIVEN, DeadLetterStatus.REPLAYED, DeadLetterStatus.DISCARDED)) {
            int deleted;
            do {
                Integer n = own.execute(t -> this.jdbc.sql(PURGE_CLOSED).param("status", closed.name())
                    .param("before", SqlTime.of(closedBefore)).update());
                deleted = n != null ? n : 0;
                total += deleted;
            }
            while (deleted == 1000);
        }
        int deleted;
        do {
            Integer n = own.execute(t -> this.jdbc.sql(PURGE_ACTIONS).param("before", SqlTime.of(actionsBefore)).update());
            deleted = n != null ? n : 0;
            total += deleted;
        }
        while (deleted == 1000);
        return total;
    }

    private static String truncate(@Nullable String value, int max) {
        return value == null || value.length() <= max ? value : value.substring(0, max);
    }

    static DeadLetter row(ResultSet rs, int n) throws SQLException {
        return new DeadLetter(rs.getLong("id"), rs.getString("message_id"), rs.getString("source_queue"),
                rs.getString("original_exchange"), rs.getString("original_routing_key"), rs.getString("event_type"),
                rs.getString("content_type"), rs.getString("headers"), rs.getString("properties"),
                rs.getBytes("body"), rs.getString("reason"), rs.getString("failure_kind"), rs.getString("exception"),
                rs.getInt("attempts"), rs.getInt("failures"), DeadLetterStatus.valueOf(rs.getString("status")),
                rs.getInt("redrive_count"), SqlTime.instant(rs.getObject("next_redrive_at", LocalDateTime.class)),
                SqlTime.instant(rs.getObject("first_failed_at", LocalDateTime.class)),
                SqlTime.instant(rs.getObject("last_failed_at", LocalDateTime.class)));
    }

    /** A dead letter as it arrives. */
    record Incoming(String messageId, String sourceQueue, @Nullable String originalExchange,
            @Nullable String originalRoutingKey, @Nullable String eventType, @Nullable String contentType,
            String headers, String properties, byte[] body, String reason, String kind, @Nullable String exception,
            int attempts) {

        /** The same dead letter with only what surely fits: ids, queue, reason, kind; the body and headers cut. */
        Incoming cutDown(String why) {
            byte[] head = this.body.length > 4096 ? java.util.Arrays.copyOf(this.body, 4096) : this.body;
            return new Incoming(cut(this.messageId, 64), cut(this.sourceQueue, 255), cut(this.originalExchange, 255),
                    cut(this.originalRoutingKey, 255), cut(this.eventType, 128), cut(this.contentType, 128),
                    cut(this.headers, 8000), cut(this.properties, 8000), head, cut(why + "; " + this.reason, 500),
                    this.kind, cut(this.exception, 8000), this.attempts);
        }

        private static String cut(@Nullable String value, int max) {
            return value == null || value.length() <= max ? value : value.substring(0, max);
        }
    }
}
