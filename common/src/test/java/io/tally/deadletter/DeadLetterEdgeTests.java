package io.tally.deadletter;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import io.tally.fixtures.IntegrationTests;
import io.tally.jdbc.SqlTime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A replay whose send fails puts the dead letter back as it was, with the failure in its audit trail. */
class DeadLetterEdgeTests extends IntegrationTests {

    @Autowired
    DeadLetterOperations operations;

    @Test
    void aReplayWhoseSendFailsPutsTheDeadLetterBackAndRecordsTheFailure() {
        // a parked dead letter of a queue that no longer exists: the broker returns its replay
        String messageId = newId();
        String at = SqlTime.of(Instant.now());
        this.jdbc.update("""
                INSERT INTO tally_dead_letter (message_id, source_queue, original_exchange, original_routing_key,
                    event_type, content_type, headers, properties, body, reason, failure_kind, attempts, status,
                    redrive_count, next_redrive_at, first_failed_at, last_failed_at, updated_at)
                VALUES (?, ?, '', '', 'test.happened', 'application/json', '{"tally-schema-version":1}',
                    '{"type":"test.happened"}', ?, 'unknown SKU', 'PERMANENT', 1, 'PARKED', 0, NULL, ?, ?, ?)""",
                messageId, this.topology.exchange("testsvc.gone.queue"), "{\"aggregateId\":\"gone\",\"seq\":0}".getBytes(),
                at, at, at);
        String id = "dl-" + this.jdbc.queryForObject("SELECT id FROM tally_dead_letter WHERE message_id = ?", Long.class,
                messageId);

        assertThatThrownBy(() -> this.operations.replay(id, "operator", "the SKU exists now"))
            .hasMessageContaining("NO_ROUTE");

        assertThat(this.jdbc.queryForObject("SELECT status FROM tally_dead_letter WHERE message_id = ?", String.class,
                messageId)).as("put back as it was").isEqualTo("PARKED");
        List<String> actions = this.jdbc.queryForList(
                "SELECT CONCAT(action, ' ', actor) FROM tally_dead_letter_action WHERE target = ? ORDER BY id", String.class, id);
        assertThat(actions).containsExactly("REPLAY operator", "REPLAY_FAILED operator");
    }
}
