package io.tally.outbox;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Status;
import org.springframework.test.context.TestPropertySource;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.fixtures.Unrouted;

import static org.assertj.core.api.Assertions.assertThat;

@TestPropertySource(properties = "tally.outbox.max-attempts=4")
class OutboxDeadRowTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Autowired
    OutboxMonitor monitor;

    @Test
    void anUnroutableEventBacksOffBecomesDeadAndBlocksOnlyItsAggregate() {
        String aggregate = "unrouted-" + newId();
        String other = "other-" + newId();
        String deadId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Unrouted(aggregate)));
        String blockedId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 1)));
        String otherId = this.transaction.execute(s -> this.outbox.publish(other, new Happened(other, 0)));

        eventually().until(() -> "DEAD".equals(status(deadId)));
        Map<String, Object> row = this.jdbc.queryForMap(
                "SELECT attempts, last_error, created_at, next_attempt_at FROM tally_outbox WHERE message_id = ?", deadId);
        assertThat(row.get("attempts")).isEqualTo(4);
        assertThat((String) row.get("last_error")).contains("returned by the broker").contains("test.unrouted");
        // backoff 50 ms doubling (50, 100, 200): the last attempt came no earlier than their sum after the first
        assertThat(Duration.between(((java.time.LocalDateTime) row.get("created_at")),
                (java.time.LocalDateTime) row.get("next_attempt_at"))).isGreaterThanOrEqualTo(Duration.ofMillis(300));

        eventually().until(() -> effectsOf(otherId) == 1);
        assertThat(status(blockedId)).as("the later event of the dead row's aggregate waits").isEqualTo("PENDING");
        assertThat(effectsOf(blockedId)).isZero();

        this.monitor.refresh();
        assertThat(this.monitor.health(true).getStatus()).isEqualTo(new Status("DEGRADED"));

        // An operator discards the dead row: the aggregate moves on.
        this.transaction.executeWithoutResult(s -> new OutboxDeadRows(
                org.springframework.jdbc.core.simple.JdbcClient.create(this.jdbc.getDataSource()), this.clock, () -> {
                }).discard(this.jdbc.queryForObject("SELECT id FROM tally_outbox WHERE message_id = ?", Long.class, deadId)));
        eventually().until(() -> effectsOf(blockedId) == 1);
        this.monitor.refresh();
        assertThat(this.monitor.health(true).getStatus()).isEqualTo(Status.UP);
    }

    /**
     * A row DEAD for a cause that an operator then fixes (here: no queue was bound for its event type): the
     * replay publishes it with its message id, and the later events of its aggregate follow, in order.
     */
    @Test
    void aDeadRowReplayedOnceItsCauseIsFixedIsPublishedAndUnblocksItsAggregate() {
        String aggregate = "replayed-" + newId();
        String deadId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Unrouted(aggregate)));
        String blockedId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 1)));
        eventually().until(() -> "DEAD".equals(status(deadId)));
        assertThat(status(blockedId)).isEqualTo("PENDING");

        // the fix: a queue now takes test.unrouted
        org.springframework.amqp.rabbit.core.RabbitAdmin admin = new org.springframework.amqp.rabbit.core.RabbitAdmin(
                this.connectionFactory);
        String queue = this.topology.exchange("fixed.unrouted");
        org.springframework.amqp.core.Queue fixed = org.springframework.amqp.core.QueueBuilder.durable(queue).quorum().build();
        admin.declareQueue(fixed);
        admin.declareBinding(org.springframework.amqp.core.BindingBuilder.bind(fixed)
            .to(new org.springframework.amqp.core.TopicExchange(this.topology.exchange("test.events"))).with("test.unrouted"));
        try {
            long rowId = this.jdbc.queryForObject("SELECT id FROM tally_outbox WHERE message_id = ?", Long.class, deadId);
            Boolean replayed = this.transaction.execute(s -> new OutboxDeadRows(
                    org.springframework.jdbc.core.simple.JdbcClient.create(this.jdbc.getDataSource()), this.clock, () -> {
                    }).replay(rowId));
            assertThat(replayed).isTrue();

            eventually().until(() -> "SENT".equals(status(deadId)));
            org.springframework.amqp.core.Message published = new org.springframework.amqp.rabbit.core.RabbitTemplate(
                    this.connectionFactory).receive(queue, 10_000);
            assertThat(published).isNotNull();
            assertThat(published.getMessageProperties().getMessageId()).isEqualTo(deadId);
            eventually().until(() -> effectsOf(blockedId) == 1);
            java.time.LocalDateTime deadSent = this.jdbc.queryForObject(
                    "SELECT sent_at FROM tally_outbox WHERE message_id = ?", java.time.LocalDateTime.class, deadId);
            java.time.LocalDateTime blockedSent = this.jdbc.queryForObject(
                    "SELECT sent_at FROM tally_outbox WHERE message_id = ?", java.time.LocalDateTime.class, blockedId);
            assertThat(blockedSent).as("the blocked event left after the replayed one").isAfterOrEqualTo(deadSent);
        }
        finally {
            admin.deleteQueue(queue);
        }
    }

    private String status(String messageId) {
        return this.jdbc.queryForObject("SELECT status FROM tally_outbox WHERE message_id = ?", String.class, messageId);
    }
}
