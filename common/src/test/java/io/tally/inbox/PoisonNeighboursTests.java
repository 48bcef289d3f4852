package io.tally.inbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.outbox.Outbox;
import io.tally.outbox.OutboxRelay;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Innocent neighbours of a poison message are not parked. A consumer crash counts a delivery for every
 * message it had prefetched and not acknowledged; here one consumer holds all 20 messages, and the one in the
 * middle kills it every time, so the ten after it are counted with it at every crash. The crasher alone ends
 * parked; the other 19 are applied, once.
 */
@TestPropertySource(properties = { "tally.consumer.concurrency=1", "tally.consumer.prefetch=20" })
class PoisonNeighboursTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Autowired
    OutboxRelay relay;

    @Autowired
    ConsumerContainers consumers;

    @Test
    void theCrasherAloneIsParkedAndItsNeighboursAreAppliedOnce() {
        String poison = "crasher-" + newId();
        this.handler.behave((event, context) -> {
            if (event.aggregateId().equals(poison)) {
                // the consumer's connection dies under it mid-message, as in a crash
                ((CachingConnectionFactory) this.connectionFactory).resetConnection();
                throw new StackOverflowError("simulated crash on " + poison);
            }
        });
        List<String> innocent = new ArrayList<>();
        String poisonId;
        this.consumers.stop();
        try {
            for (int i = 0; i < 10; i++) {
                innocent.add(publish("before-" + i + "-" + newId()));
            }
            poisonId = publish(poison);
            for (int i = 0; i < 9; i++) {
                innocent.add(publish("after-" + i + "-" + newId()));
            }
            eventually().until(() -> outboxRows("PENDING") == 0);
        }
        finally {
            this.consumers.start();
        }

        eventually().atMost(Duration.ofSeconds(90)).until(() -> innocent.stream().allMatch(id -> effectsOf(id) == 1));
        eventually().atMost(Duration.ofSeconds(90)).until(() -> "PARKED".equals(status(poisonId)));
        assertThat(this.jdbc.queryForObject("SELECT failure_kind FROM tally_dead_letter WHERE message_id = ?",
                String.class, poisonId)).isEqualTo("POISON");
        assertThat(this.jdbc.queryForList("SELECT message_id FROM tally_dead_letter WHERE status = 'PARKED'", String.class))
            .as("parked dead letters").containsExactly(poisonId);
        assertThat(innocent).allSatisfy(id -> assertThat(effectsOf(id)).isEqualTo(1));
        assertThat(effectsOf(poisonId)).isZero();
    }

    private String publish(String aggregate) {
        return this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
    }

    private String status(String messageId) {
        List<String> found = this.jdbc.queryForList("SELECT status FROM tally_dead_letter WHERE message_id = ?",
                String.class, messageId);
        return found.isEmpty() ? null : found.get(0);
    }
}
