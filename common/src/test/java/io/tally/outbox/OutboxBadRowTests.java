package io.tally.outbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import io.tally.contract.EventType;
import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One bad row does not fail its batch: a row for an exchange that does not exist makes the broker close the
 * channel it was published on, and a row above the message-size limit is refused before it is sent. The good
 * rows published beside them are published with no attempt charged; each bad one ends DEAD with its reason.
 */
@TestPropertySource(properties = { "tally.outbox.max-attempts=3", "tally.outbox.max-message-size=4KB",
        "tally.outbox.batch-size=200" })
class OutboxBadRowTests extends IntegrationTests {

    /** An event whose exchange nobody declared. */
    @EventType(name = "test.nowhere", exchange = "test.nowhere.events")
    record Nowhere(String aggregateId) {
    }

    @Autowired
    Outbox outbox;

    @Autowired
    OutboxRelay relay;

    @Test
    void aRowThatMakesTheBrokerCloseTheChannelChargesOnlyItself() {
        this.relay.stop();
        List<String> good = new ArrayList<>();
        String bad;
        try {
            // one batch: 25 good rows, the bad one, 25 more
            for (int i = 0; i < 25; i++) {
                good.add(publish(new Happened("good-a" + i + "-" + newId(), 0)));
            }
            String aggregate = "nowhere-" + newId();
            bad = this.transaction.execute(s -> this.outbox.publish(aggregate, new Nowhere(aggregate)));
            for (int i = 0; i < 25; i++) {
                good.add(publish(new Happened("good-b" + i + "-" + newId(), 0)));
            }
        }
        finally {
            this.relay.start();
        }
        eventually().atMost(Duration.ofSeconds(20)).until(() -> good.stream().allMatch(id -> effectsOf(id) == 1));
        eventually().until(() -> "DEAD".equals(row(bad).get("status")));
        assertThat((String) row(bad).get("last_error")).contains("404").contains("test.nowhere.events");
        assertThat(good).allSatisfy(id -> assertThat(row(id)).containsEntry("status", "SENT").containsEntry("attempts", 0));
    }

    @Test
    void aRowAboveTheMessageSizeLimitIsDeadAtOnceAndTheOthersGoOn() {
        String aggregate = "huge-" + newId();
        String huge = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate + "x".repeat(5000), 0)));
        String next = publish(new Happened("after-huge-" + newId(), 0));

        eventually().until(() -> "DEAD".equals(row(huge).get("status")));
        assertThat(row(huge)).containsEntry("attempts", 1);
        assertThat((String) row(huge).get("last_error")).contains("exceeds tally.outbox.max-message-size");
        eventually().until(() -> effectsOf(next) == 1);
        assertThat(row(next)).containsEntry("attempts", 0);
    }

    private String publish(Happened event) {
        return this.transaction.execute(s -> this.outbox.publish(event.aggregateId(), event));
    }

    private Map<String, Object> row(String messageId) {
        return this.jdbc.queryForMap("SELECT status, attempts, last_error FROM tally_outbox WHERE message_id = ?", messageId);
    }
}
