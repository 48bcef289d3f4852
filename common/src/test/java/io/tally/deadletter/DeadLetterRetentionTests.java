package io.tally.deadletter;

import java.time.Duration;
import java.time.Instant;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import io.tally.fixtures.IntegrationTests;
import io.tally.jdbc.OwnTransaction;
import io.tally.jdbc.SqlTime;

import static org.assertj.core.api.Assertions.assertThat;

/** Closed dead letters go after their retention; open ones stay, and so does the audit trail, longer. */
class DeadLetterRetentionTests extends IntegrationTests {

    @Autowired
    DeadLetterStore store;

    @Autowired
    DataSource dataSource;

    @Test
    void closedDeadLettersPastTheirRetentionArePurgedOpenOnesAndRecentOnesKept() {
        Instant now = this.clock.instant();
        Instant old = now.minus(Duration.ofDays(40));
        long oldDiscarded = letter("DISCARDED", old);
        long oldReplayed = letter("REPLAYED", old);
        long oldRedriven = letter("REDRIVEN", old);
        long oldParked = letter("PARKED", old);
        long oldScheduled = letter("SCHEDULED", old);
        long recentDiscarded = letter("DISCARDED", now.minus(Duration.ofDays(1)));
        this.jdbc.update("INSERT INTO tally_dead_letter_action (target, action, actor, reason, acted_at) VALUES (?, 'DISCARD', 'op', 'x', ?)",
                "dl-" + oldDiscarded, SqlTime.of(old));
        this.jdbc.update("INSERT INTO tally_dead_letter_action (target, action, actor, reason, acted_at) VALUES (?, 'DISCARD', 'op', 'x', ?)",
                "dl-old-audit", SqlTime.of(now.minus(Duration.ofDays(400))));

        this.store.purge(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(365)), OwnTransaction.template(this.dataSource));

        assertThat(exists(oldDiscarded)).isFalse();
        assertThat(exists(oldReplayed)).isFalse();
        assertThat(exists(oldRedriven)).isFalse();
        assertThat(exists(oldParked)).as("waits for an operator").isTrue();
        assertThat(exists(oldScheduled)).as("waits for its re-drive").isTrue();
        assertThat(exists(recentDiscarded)).isTrue();
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_dead_letter_action WHERE target = ?", Integer.class,
                "dl-" + oldDiscarded)).as("the audit trail outlives the dead letter").isOne();
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_dead_letter_action WHERE target = 'dl-old-audit'",
                Integer.class)).isZero();
    }

    private long letter(String status, Instant updated) {
        String at = SqlTime.of(updated);
        this.jdbc.update("""
                INSERT INTO tally_dead_letter (message_id, source_queue, body, reason, failure_kind, attempts, status,
                    first_failed_at, last_failed_at, updated_at)
                VALUES (?, 'q', ?, 'r', 'PERMANENT', 1, ?, ?, ?, ?)""", newId(), new byte[0], status, at, at, at);
        return this.jdbc.queryForObject("SELECT MAX(id) FROM tally_dead_letter", Long.class);
    }

    private boolean exists(long id) {
        return this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_dead_letter WHERE id = ?", Integer.class, id) == 1;
    }
}
