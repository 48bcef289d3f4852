package io.tally.outbox;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;

/**
 * A commit wakes the relay at once: with a poll interval of an hour, a committed event is still published
 * within seconds (after one first poll, which the relay makes when it starts).
 */
@TestPropertySource(properties = "tally.outbox.poll-interval=1h")
class OutboxWakeUpTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Test
    void aCommitWakesTheRelayWithoutWaitingForItsPoll() {
        for (int i = 0; i < 3; i++) {
            String aggregate = "woken-" + newId();
            String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
            eventually().atMost(Duration.ofSeconds(10)).until(() -> effectsOf(messageId) == 1);
        }
    }
}
