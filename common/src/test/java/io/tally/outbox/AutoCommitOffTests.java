package io.tally.outbox;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With a pool that hands out connections with auto-commit off (which saves two round trips per business
 * transaction), every statement tally runs on its own still commits: rows are marked SENT and purged.
 */
@TestPropertySource(properties = { "spring.datasource.hikari.auto-commit=false", "tally.outbox.purge-retention=0s",
        "tally.outbox.purge-interval=200ms" })
class AutoCommitOffTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Test
    void publishedRowsAreMarkedSentThenPurgedAndTheEffectIsApplied() {
        String aggregate = "autocommit-" + newId();
        String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));

        eventually().until(() -> effectsOf(messageId) == 1);
        eventually().until(() -> this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_outbox WHERE message_id = ?",
                Integer.class, messageId) == 0);
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_inbox WHERE message_id = ?", Integer.class,
                messageId)).isEqualTo(1);
    }
}
