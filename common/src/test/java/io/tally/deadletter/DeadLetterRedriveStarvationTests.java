package io.tally.deadletter;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import io.tally.fixtures.IntegrationTests;
import io.tally.jdbc.SqlTime;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Re-drives cannot starve each other: 50 dead letters whose queue is gone (the broker returns every re-drive)
 * fall due before one whose queue is alive. Each failed re-drive counts and backs off, so the live one is
 * re-driven and applied within seconds, and the others end parked after their last re-drive.
 */
@TestPropertySource(properties = { "tally.dead-letters.redrive-delays=500ms", "tally.dead-letters.max-redrives=3" })
class DeadLetterRedriveStarvationTests extends IntegrationTests {

    @Test
    void aLiveDeadLetterIsRedrivenThoughFiftyFailingOnesFallDueBeforeIt() {
        Instant now = this.clock.instant();
        for (int i = 0; i < 50; i++) {
            insert(newId(), this.topology.exchange("testsvc.gone.queue"), now.minusSeconds(60 - i));
        }
        String live = newId();
        insert(live, workQueue(), now.minusSeconds(1));

        eventually().atMost(Duration.ofSeconds(15)).until(() -> effectsOf(live) == 1);
        assertThat(this.jdbc.queryForObject("SELECT status FROM tally_dead_letter WHERE message_id = ?", String.class, live))
            .isEqualTo("REDRIVEN");
        eventually().atMost(Duration.ofSeconds(20)).until(() -> this.jdbc.queryForObject(
                "SELECT COUNT(*) FROM tally_dead_letter WHERE source_queue LIKE '%gone.queue' AND status = 'PARKED'",
                Integer.class) == 50);
        assertThat(this.jdbc.queryForList(
                "SELECT DISTINCT redrive_count FROM tally_dead_letter WHERE source_queue LIKE '%gone.queue'", Integer.class))
            .as("each failed re-drive counted").containsExactly(3);
        assertThat(this.jdbc.queryForObject("SELECT reason FROM tally_dead_letter WHERE source_queue LIKE '%gone.queue' LIMIT 1",
                String.class)).startsWith("retries exhausted; last re-drive (3) failed: ").contains("NO_ROUTE");
    }

    private void insert(String messageId, String queue, Instant due) {
        String at = SqlTime.of(due);
        this.jdbc.update("""
                INSERT INTO tally_dead_letter (message_id, source_queue, original_exchange, original_routing_key,
                    event_type, content_type, headers, properties, body, reason, failure_kind, attempts, status,
                    redrive_count, next_redrive_at, first_failed_at, last_failed_at, updated_at)
                VALUES (?, ?, '', '', 'test.happened', 'application/json', '{"tally-schema-version":1}',
                    '{"type":"test.happened"}', ?, 'retries exhausted', 'TRANSIENT', 3, 'SCHEDULED', 0, ?, ?, ?, ?)""",
                messageId, queue, ("{\"aggregateId\":\"redriven-" + messageId + "\",\"seq\":0}").getBytes(), at, at, at, at);
    }
}
