package io.tally.inbox;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The dedup table. The insert runs in the handler's transaction: it commits with the effect or not at all,
 * and a concurrent duplicate waits on the key until the first one commits (then it is a duplicate) or
 * rolls back (then it is handled).
 */
final class InboxStore {

    static final String INSERT = "INSERT INTO tally_inbox (consumer, message_id, handled_at) VALUES (?, ?, ?)";

    static final String PURGE = "DELETE FROM tally_inbox WHERE handled_at < ? LIMIT ?";

    private final JdbcTemplate jdbc;

    private final org.springframework.transaction.support.TransactionTemplate own;

    InboxStore(JdbcTemplate jdbc, org.springframework.transaction.support.TransactionTemplate own) {
        this.jdbc = jdbc;
        this.own = own;
    }

    /** Records the message; {@code false} when this consumer has already handled it. */
    boolean record(String consumer, String messageId, Instant now) {
        io.tally.jdbc.OwnTransaction.require(this.jdbc.getDataSource(), "The dedup row of a handled message");
        try {
            this.jdbc.update(INSERT, consumer, messageId, io.tally.jdbc.SqlTime.of(now));
            return true;
        }
        catch (DuplicateKeyException ex) {
            return false;
        }
    }

    /** Deletes expired rows in a transaction of its own, so it commits whatever the pool's auto-commit. */
    int purge(Instant before, int limit) {
        Integer deleted = this.own.execute(status -> this.jdbc.update(PURGE, io.tally.jdbc.SqlTime.of(before), limit));
        return deleted != null ? deleted : 0;
    }
}
