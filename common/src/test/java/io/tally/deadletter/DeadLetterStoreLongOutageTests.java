package io.tally.deadletter;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import io.tally.fixtures.IntegrationTests;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A dead letter is never dropped, however long its table cannot be written: here the dead-letter queue's
 * delivery limit is 3 and the recorder fails more than ten times before the table is back. A recorder that
 * handed the message back to the broker each time would have lost it at the third; it is stored, once.
 */
@TestPropertySource(properties = { "tally.topology.dead-letter-delivery-limit=3", "tally.dead-letters.store-retry-delay=50ms",
        "tally.dead-letters.store-retry-max-delay=200ms" })
class DeadLetterStoreLongOutageTests extends IntegrationTests {

    @Autowired
    MeterRegistry meters;

    @Test
    void aDeadLetterIsStoredOnceAfterAnOutageLongerThanItsQueuesDeliveryLimitAllows() {
        String messageId = newId();
        double failuresBefore = storeFailures();
        this.jdbc.execute("RENAME TABLE tally_dead_letter TO tally_dead_letter_away");
        try {
            publishRaw(messageId, "not json".getBytes(StandardCharsets.UTF_8));
            eventually().until(() -> storeFailures() >= failuresBefore + 12);
        }
        finally {
            this.jdbc.execute("RENAME TABLE tally_dead_letter_away TO tally_dead_letter");
        }
        eventually().until(() -> this.jdbc.queryForObject(
                "SELECT COUNT(*) FROM tally_dead_letter WHERE message_id = ?", Integer.class, messageId) == 1);
        Map<String, Object> row = this.jdbc.queryForMap(
                "SELECT status, failure_kind, failures FROM tally_dead_letter WHERE message_id = ?", messageId);
        assertThat(row).containsEntry("status", "PARKED").containsEntry("failure_kind", "PERMANENT").containsEntry("failures", 1);
    }

    private double storeFailures() {
        return this.meters.counter("tally.dead.letters.store.failures").count();
    }
}
