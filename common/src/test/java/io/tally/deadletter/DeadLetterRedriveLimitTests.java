package io.tally.deadletter;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.fixtures.RecordingHandler.Invocation;
import io.tally.outbox.Outbox;

import static org.assertj.core.api.Assertions.assertThat;

/** A transient dead letter is re-driven at most {@code max-redrives} times, then parked for an operator. */
@TestPropertySource(properties = "tally.dead-letters.max-redrives=1")
class DeadLetterRedriveLimitTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Test
    void aTransientFailureThatOutlastsItsRedrivesIsParkedWithItsReason() {
        String aggregate = "hopeless-" + newId();
        this.handler.behave((event, context) -> {
            throw new IllegalStateException("downstream gone for good");
        });
        String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));

        // three attempts, dead letter, one re-drive, three attempts again, then parked
        eventually().until(() -> this.jdbc.queryForList("SELECT status FROM tally_dead_letter WHERE message_id = ?",
                String.class, messageId).contains("PARKED"));
        assertThat(this.jdbc.queryForMap("SELECT redrive_count, failures, failure_kind FROM tally_dead_letter WHERE message_id = ?",
                messageId)).containsEntry("redrive_count", 1).containsEntry("failures", 2).containsEntry("failure_kind", "TRANSIENT");
        assertThat(this.handler.invocations().stream().filter(i -> i.messageId().equals(messageId)).map(Invocation::attempt))
            .containsExactly(1, 2, 3, 1, 2, 3);
        assertThat(effectsOf(messageId)).isZero();
    }
}
