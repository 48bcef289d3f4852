package io.tally.deadletter;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.tally.fixtures.IntegrationTests;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compensation consumer while the dead-letter table cannot be written: it hands the dead letter back and
 * tries again, and once the table is back the dead letter is stored, once.
 */
class DeadLetterStoreOutageTests extends IntegrationTests {

    @org.springframework.beans.factory.annotation.Autowired
    io.micrometer.core.instrument.MeterRegistry meters;

    @Test
    void aDeadLetterArrivingWhileItsTableIsUnavailableIsStoredOnceItIsBack() {
        String messageId = newId();
        double failuresBefore = storeFailures();
        this.jdbc.execute("RENAME TABLE tally_dead_letter TO tally_dead_letter_away");
        try {
            publishRaw(messageId, "not json".getBytes(StandardCharsets.UTF_8));
            // the unreadable body is dead-lettered at once; the recorder cannot store it and hands it back, again
            // and again, while the table is away
            eventually().until(() -> storeFailures() >= failuresBefore + 3);
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
