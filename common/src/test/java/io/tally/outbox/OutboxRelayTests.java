package io.tally.outbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.IllegalTransactionStateException;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OutboxRelayTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Autowired
    MeterRegistry meters;

    @Test
    void rollbackPublishesNothingAndCommitPublishesExactlyTheRowsWritten() {
        String committedAggregate = "order-" + newId();
        String rolledBackAggregate = "order-" + newId();
        try {
            this.transaction.executeWithoutResult(status -> {
                this.outbox.publish(rolledBackAggregate, new Happened(rolledBackAggregate, 0));
                throw new IllegalStateException("business rule failed");
            });
        }
        catch (IllegalStateException expected) {
            // the transaction rolled back
        }
        List<String> ids = this.transaction.execute(status -> List.of(
                this.outbox.publish(committedAggregate, new Happened(committedAggregate, 0)),
                this.outbox.publish(committedAggregate, new Happened(committedAggregate, 1))));

        eventually().until(() -> effectsOfAggregate(committedAggregate) == 2);
        assertThat(this.jdbc.queryForList("SELECT message_id FROM test_effect WHERE aggregate_id = ? ORDER BY seq",
                String.class, committedAggregate)).containsExactlyElementsOf(ids);
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM test_effect WHERE aggregate_id = ?", Integer.class,
                rolledBackAggregate)).isZero();
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_outbox WHERE aggregate_id = ?", Integer.class,
                rolledBackAggregate)).isZero();
        eventually().until(() -> this.jdbc.queryForObject(
                "SELECT COUNT(*) FROM tally_outbox WHERE aggregate_id = ? AND status = 'SENT'", Integer.class,
                committedAggregate) == 2);
    }

    @Test
    void publishingOutsideATransactionIsAnError() {
        assertThatThrownBy(() -> this.outbox.publish("order-1", new Happened("order-1", 0)))
            .isInstanceOf(IllegalTransactionStateException.class)
            .hasMessageContaining("inside a transaction");
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_outbox WHERE aggregate_id = 'order-1'",
                Integer.class)).isZero();
    }

    @Test
    void relayStoppedBetweenConfirmAndMarkPublishesAgainAndTheConsumerAppliesOnce() {
        AtomicBoolean crashed = new AtomicBoolean();
        this.relayHooks.onBeforeFinish(confirmed -> {
            if (crashed.compareAndSet(false, true)) {
                throw new IllegalStateException("relay killed after the confirm, before marking the row");
            }
        });
        String aggregate = "order-" + newId();
        String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));

        // The broker confirmed it and the consumer applied it, but the row is still PENDING under a lease.
        eventually().until(() -> crashed.get() && effectsOf(messageId) == 1);
        assertThat(this.jdbc.queryForObject("SELECT status FROM tally_outbox WHERE message_id = ?", String.class,
                messageId)).isEqualTo("PENDING");

        double duplicatesBefore = duplicates();
        this.clock.advance(Duration.ofSeconds(10)); // the lease (5 s) expires: any relay takes the row over

        eventually().until(() -> "SENT".equals(this.jdbc.queryForObject(
                "SELECT status FROM tally_outbox WHERE message_id = ?", String.class, messageId)));
        eventually().until(() -> duplicates() == duplicatesBefore + 1);
        assertThat(effectsOf(messageId)).isEqualTo(1);
        assertThat(this.handler.invocations()).hasSize(1);
    }

    @Test
    void brokerConnectionDroppedInTheMiddleOfABatchLosesNothing() {
        AtomicInteger published = new AtomicInteger();
        AtomicBoolean dropped = new AtomicBoolean();
        this.relayHooks.onBeforePublish(record -> {
            if (published.incrementAndGet() == 50 && dropped.compareAndSet(false, true)) {
                ((CachingConnectionFactory) this.connectionFactory).resetConnection();
            }
        });
        String batch = "drop-" + newId().substring(0, 8);
        List<String> ids = this.transaction.execute(s -> {
            List<String> written = new java.util.ArrayList<>();
            for (int i = 0; i < 150; i++) {
                String aggregate = batch + "-" + i;
                written.add(this.outbox.publish(aggregate, new Happened(aggregate, 0)));
            }
            return written;
        });

        String like = batch + "-%";
        eventually().atMost(Duration.ofSeconds(60)).until(() -> this.jdbc.queryForObject(
                "SELECT COUNT(*) FROM tally_outbox WHERE aggregate_id LIKE ? AND status = 'SENT'", Integer.class,
                like) == 150);
        eventually().atMost(Duration.ofSeconds(60)).until(() -> this.jdbc.queryForObject(
                "SELECT COUNT(DISTINCT message_id) FROM test_effect WHERE aggregate_id LIKE ?", Integer.class, like) == 150);
        assertThat(dropped).isTrue();
        List<Map<String, Object>> applied = this.jdbc.queryForList(
                "SELECT message_id, COUNT(*) AS n FROM test_effect WHERE aggregate_id LIKE ? GROUP BY message_id", like);
        assertThat(applied).hasSize(150).allSatisfy(row -> assertThat(((Number) row.get("n")).intValue()).isEqualTo(1));
        assertThat(applied.stream().map(row -> (String) row.get("message_id"))).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(this.jdbc.queryForObject("SELECT MAX(attempts) FROM tally_outbox WHERE aggregate_id LIKE ?",
                Integer.class, like))
            .as("the rows caught by the dropped connection were published again, no attempt charged for it").isZero();
    }

    private double duplicates() {
        return this.meters.get("tally.consumer.messages").tag("outcome", "duplicate").counter().count();
    }
}
