package io.tally.outbox;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.fixtures.Unrouted;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A blocked aggregate never stalls the relay: behind a DEAD head wait more than two batches of its own later
 * events, and the events of other aggregates written after all of them are still published within seconds, on
 * one relay and on two. Once the head is discarded, the blocked events follow in order. One consumer, so that the
 * order in which the effects are applied is the order in which the relay published (three competing consumers
 * of one queue may apply two messages delivered a millisecond apart in either order, as RabbitMQ allows).
 */
@TestPropertySource(properties = { "tally.outbox.batch-size=20", "tally.outbox.max-attempts=1", "tally.outbox.workers=1",
        "tally.consumer.concurrency=1" })
class OutboxBlockedAggregateTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Autowired
    OutboxStore store;

    @Autowired
    DataSource dataSource;

    @Autowired
    OutboxProperties properties;

    @Autowired
    Clock tallyClock;

    @Autowired
    JsonMapper json;

    @Test
    void rowsBehindADeadHeadDoNotHoldBackOtherAggregatesOnOneRelay() {
        List<String> blocked = blockedAggregateWithFollowers(50);
        List<String> others = othersWrittenAfter(10);

        eventually().atMost(Duration.ofSeconds(10)).until(() -> others.stream().allMatch(id -> effectsOf(id) == 1));
        assertThat(blocked).allSatisfy(id -> assertThat(status(id)).isEqualTo("PENDING"));

        // an operator discards the dead head: its aggregate's events follow, in order
        long head = this.jdbc.queryForObject("SELECT id FROM tally_outbox WHERE status = 'DEAD' AND aggregate_id = ?",
                Long.class, this.blockedAggregate);
        this.transaction.executeWithoutResult(s -> new OutboxDeadRows(
                org.springframework.jdbc.core.simple.JdbcClient.create(this.dataSource), this.clock, () -> {
                }).discard(head));
        eventually().atMost(Duration.ofSeconds(20)).until(() -> blocked.stream().allMatch(id -> effectsOf(id) == 1));
        List<Integer> order = this.jdbc.queryForList(
                "SELECT seq FROM test_effect WHERE aggregate_id = ? ORDER BY id", Integer.class, this.blockedAggregate);
        assertThat(order).isSorted().hasSize(50);
    }

    @Test
    void rowsBehindADeadHeadDoNotHoldBackOtherAggregatesOnTwoRelays() {
        OutboxRelay second = OutboxAutoConfiguration.newRelay(this.store, this.dataSource, this.connectionFactory,
                this.properties, this.tallyClock, "second-instance", "testsvc", this.json, new OutboxListener() {
                });
        second.start();
        try {
            blockedAggregateWithFollowers(50);
            List<String> others = othersWrittenAfter(10);

            eventually().atMost(Duration.ofSeconds(10)).until(() -> others.stream().allMatch(id -> effectsOf(id) == 1));
        }
        finally {
            second.stop();
        }
    }

    private String blockedAggregate;

    /** A DEAD head (nothing takes its event type; one attempt) with {@code followers} later events behind it. */
    private List<String> blockedAggregateWithFollowers(int followers) {
        String aggregate = "blocked-" + newId();
        this.blockedAggregate = aggregate;
        String deadId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Unrouted(aggregate)));
        eventually().until(() -> "DEAD".equals(status(deadId)));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < followers; i++) {
            int seq = i;
            ids.add(this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, seq))));
        }
        return ids;
    }

    private List<String> othersWrittenAfter(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String aggregate = "free-" + newId();
            ids.add(this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0))));
        }
        return ids;
    }

    private String status(String messageId) {
        return this.jdbc.queryForObject("SELECT status FROM tally_outbox WHERE message_id = ?", String.class, messageId);
    }
}
