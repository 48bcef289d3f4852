package io.tally.inbox;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.annotation.Autowired;

import io.tally.deadletter.DeadLetterOperations;
import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.fixtures.RecordingHandler.Invocation;
import io.tally.outbox.Outbox;
import io.tally.retry.NonRetryable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConsumerChainTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Autowired
    io.tally.topology.TopologyDeclarer declarer;

    @Autowired
    DeadLetterOperations deadLetters;

    @Autowired
    MeterRegistry meters;

    @Test
    void theSameMessageDeliveredTwiceIsAppliedOnce() {
        String messageId = newId();
        byte[] body = "{\"aggregateId\":\"twice\",\"seq\":0}".getBytes(StandardCharsets.UTF_8);
        double duplicatesBefore = counter("duplicate");
        publishRaw(messageId, body);
        publishRaw(messageId, body);

        eventually().until(() -> counter("duplicate") == duplicatesBefore + 1);
        assertThat(effectsOf(messageId)).isEqualTo(1);
        assertThat(this.handler.invocations()).hasSize(1);
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_inbox WHERE message_id = ?", Integer.class,
                messageId)).isEqualTo(1);
    }

    /**
     * Five copies on three consumers (prefetch 20): the first copy's handler is held until the other copies are
     * provably in flight at the same time (their dedup inserts wait on its uncommitted key, as the database
     * shows), then let go. One effect; the other four are duplicates.
     */
    @Test
    void fiveCopiesOnConcurrentConsumersAreAppliedOnce() throws Exception {
        String messageId = newId();
        byte[] body = "{\"aggregateId\":\"concurrent\",\"seq\":0}".getBytes(StandardCharsets.UTF_8);
        double duplicatesBefore = counter("duplicate");
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger waitingSeen = new java.util.concurrent.atomic.AtomicInteger();
        this.handler.behave((event, context) -> {
            if (messageId.equals(context.messageId()) && !release.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
        });
        // all three consumers must be up (an earlier test's crash may still be restarting one)
        org.springframework.amqp.rabbit.core.RabbitAdmin admin = new org.springframework.amqp.rabbit.core.RabbitAdmin(
                this.connectionFactory);
        eventually().until(() -> admin.getQueueInfo(workQueue()).getConsumerCount() == 3);
        for (int i = 0; i < 5; i++) {
            publishRaw(messageId, body);
        }
        // two more copies wait on the first one's dedup key: three copies in the chain at once
        eventually().until(() -> {
            waitingSeen.set(this.jdbc.queryForObject("""
                    SELECT COUNT(*) FROM information_schema.INNODB_TRX
                    WHERE trx_state = 'LOCK WAIT' AND trx_query LIKE 'INSERT INTO tally_inbox%'""", Integer.class));
            return waitingSeen.get() >= 2;
        });
        assertThat(this.handler.invocations().stream().filter(i -> i.messageId().equals(messageId))).hasSize(1);
        release.countDown();

        eventually().until(() -> counter("duplicate") == duplicatesBefore + 4);
        assertThat(waitingSeen.get()).as("copies waiting on the first one's key").isGreaterThanOrEqualTo(2);
        assertThat(effectsOf(messageId)).isEqualTo(1);
        assertThat(this.handler.invocations().stream().filter(i -> i.messageId().equals(messageId))).hasSize(1);
    }

    @Test
    void aHandlerThatFailsTwiceThenSucceedsIsHandledOnceAfterTheConfiguredDelays() {
        String aggregate = "flaky-" + newId();
        this.handler.behave((event, context) -> {
            if (context.attempt() < 3) {
                throw new IllegalStateException("downstream not ready (attempt " + context.attempt() + ")");
            }
        });
        String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));

        eventually().until(() -> effectsOf(messageId) == 1);
        List<Invocation> calls = this.handler.invocations().stream().filter(i -> i.messageId().equals(messageId)).toList();
        assertThat(calls).extracting(Invocation::attempt).containsExactly(1, 2, 3);
        // retry-delays are 300 ms then 600 ms (application.properties): each wait at least its tier's TTL
        assertThat(Duration.ofNanos(calls.get(1).nanoTime() - calls.get(0).nanoTime())).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(Duration.ofNanos(calls.get(2).nanoTime() - calls.get(1).nanoTime())).isGreaterThanOrEqualTo(Duration.ofMillis(600));
        assertThat(effectsOf(messageId)).isEqualTo(1);
        assertThat(this.jdbc.queryForList("SELECT attempt FROM test_effect WHERE message_id = ?", Integer.class, messageId))
            .containsExactly(3);
    }

    @Test
    void aTransientFailureThatOutlastsTheRetriesIsDeadLetteredAndRedrivenOnItsSchedule() {
        AtomicBoolean healed = new AtomicBoolean();
        this.handler.behave((event, context) -> {
            if (!healed.get()) {
                throw new IllegalStateException("still down");
            }
        });
        String aggregate = "outlast-" + newId();
        String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));

        // three attempts (one plus two retry tiers), then the dead-letter queue and the store
        eventually().until(() -> deadLetterStatus(messageId) != null);
        assertThat(this.handler.invocations().stream().filter(i -> i.messageId().equals(messageId)))
            .extracting(Invocation::attempt).containsExactly(1, 2, 3);
        Map<String, Object> row = this.jdbc.queryForMap(
                "SELECT failure_kind, attempts, reason, exception FROM tally_dead_letter WHERE message_id = ?", messageId);
        assertThat(row.get("failure_kind")).isEqualTo("TRANSIENT");
        assertThat(row.get("attempts")).isEqualTo(3);
        assertThat((String) row.get("reason")).contains("retries exhausted after 3 attempts");
        assertThat((String) row.get("exception")).contains("still down");

        healed.set(true); // the re-driver sends it back after redrive-delays (500 ms)
        eventually().until(() -> effectsOf(messageId) == 1);
        eventually().until(() -> "REDRIVEN".equals(deadLetterStatus(messageId)));
        assertThat(effectsOf(messageId)).isEqualTo(1);
    }

    @Test
    void aPermanentFailureIsDeadLetteredAtOnceAndAReplayAfterTheFixAppliesItOnce() {
        AtomicBoolean fixed = new AtomicBoolean();
        this.handler.behave((event, context) -> {
            if (!fixed.get()) {
                throw new UnknownProduct("no such SKU: " + event.aggregateId());
            }
        });
        String aggregate = "sku-" + newId();
        String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));

        eventually().until(() -> "PARKED".equals(deadLetterStatus(messageId)));
        assertThat(this.handler.invocations()).hasSize(1);
        Map<String, Object> row = this.jdbc.queryForMap(
                "SELECT id, failure_kind, reason, source_queue FROM tally_dead_letter WHERE message_id = ?", messageId);
        assertThat(row.get("failure_kind")).isEqualTo("PERMANENT");
        assertThat((String) row.get("reason")).contains("no such SKU");
        assertThat(row.get("source_queue")).isEqualTo(workQueue());
        assertThat(effectsOf(messageId)).isZero();

        fixed.set(true);
        String id = "dl-" + row.get("id");
        this.deadLetters.replay(id, "alice", "catalogue fixed");
        eventually().until(() -> effectsOf(messageId) == 1);
        assertThat(deadLetterStatus(messageId)).isEqualTo("REPLAYED");
        assertThat(this.deadLetters.show(id).orElseThrow().actions())
            .extracting(a -> a.action() + " by " + a.actor() + ": " + a.reason())
            .containsExactly("REPLAY by alice: catalogue fixed");
        assertThatThrownBy(() -> this.deadLetters.replay(id, "bob", "again")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aConsumerThatCrashesOnAMessageEveryTimeIsStoppedByTheDeliveryLimitAndTheMessageRecorded() {
        String poison = "poison-" + newId();
        this.handler.behave((event, context) -> {
            if (event.aggregateId().equals(poison)) {
                // The consumer's connection and channel die under it mid-message, as in a crash: the broker
                // requeues the unacknowledged message and counts the delivery.
                ((CachingConnectionFactory) this.connectionFactory).resetConnection();
                throw new StackOverflowError("simulated crash on " + poison);
            }
        });
        String poisonId = this.transaction.execute(s -> this.outbox.publish(poison, new Happened(poison, 0)));

        eventually().atMost(Duration.ofSeconds(60)).until(() -> "PARKED".equals(deadLetterStatus(poisonId)));
        Map<String, Object> row = this.jdbc.queryForMap(
                "SELECT failure_kind, reason FROM tally_dead_letter WHERE message_id = ?", poisonId);
        assertThat(row.get("failure_kind")).isEqualTo("POISON");
        assertThat((String) row.get("reason")).contains("delivery limit");
        long crashes = this.handler.invocations().stream().filter(i -> i.messageId().equals(poisonId)).count();
        // x-delivery-limit is 3: up to four deliveries in the work queue, then up to four alone in quarantine
        assertThat(crashes).isBetween(2L, 8L);
        assertThat(effectsOf(poisonId)).isZero();

        String next = "after-poison-" + newId();
        String nextId = this.transaction.execute(s -> this.outbox.publish(next, new Happened(next, 0)));
        eventually().until(() -> effectsOf(nextId) == 1);
    }

    @Test
    void aHandlerThatThrowsAnErrorEveryTimeIsRejectedUntilTheDeliveryLimitStopsIt() {
        String broken = "linkage-" + newId();
        this.handler.behave((event, context) -> {
            if (event.aggregateId().equals(broken)) {
                throw new NoClassDefFoundError("io/example/MissingPlugin");
            }
        });
        String brokenId = this.transaction.execute(s -> this.outbox.publish(broken, new Happened(broken, 0)));

        eventually().until(() -> "PARKED".equals(deadLetterStatus(brokenId)));
        assertThat(this.jdbc.queryForObject("SELECT failure_kind FROM tally_dead_letter WHERE message_id = ?",
                String.class, brokenId)).isEqualTo("POISON");
        assertThat(this.handler.invocations().stream().filter(i -> i.messageId().equals(brokenId)).count())
            .as("the reject with requeue is counted: delivery limit 3, in the work queue and then in quarantine")
            .isBetween(6L, 8L);
        assertThat(effectsOf(brokenId)).isZero();
    }

    @Test
    void anUnreadableBodyIsStoredAsADeadLetterAndTheConsumerGoesOn() {
        String garbageId = newId();
        byte[] garbage = new byte[] { (byte) 0xff, (byte) 0xfe, '{', 'n', 'o', 't', ' ', 'j', 's', 'o', 'n' };
        publishRaw(garbageId, garbage);
        String next = "after-garbage-" + newId();
        String nextId = this.transaction.execute(s -> this.outbox.publish(next, new Happened(next, 0)));

        eventually().until(() -> "PARKED".equals(deadLetterStatus(garbageId)));
        Map<String, Object> row = this.jdbc.queryForMap(
                "SELECT failure_kind, reason, body FROM tally_dead_letter WHERE message_id = ?", garbageId);
        assertThat(row.get("failure_kind")).isEqualTo("PERMANENT");
        assertThat((byte[]) row.get("body")).isEqualTo(garbage);
        eventually().until(() -> effectsOf(nextId) == 1);
        assertThat(this.handler.invocations()).noneMatch(i -> i.messageId().equals(garbageId));
    }

    @Test
    void aMessageWithoutIdOrOfANewerSchemaVersionIsAContractViolation() {
        publishRaw(null, "{\"aggregateId\":\"anonymous\",\"seq\":0}".getBytes(StandardCharsets.UTF_8));
        String newerId = newId();
        publishRaw(newerId, "{\"aggregateId\":\"from-the-future\",\"seq\":0}".getBytes(StandardCharsets.UTF_8), 2);

        eventually().until(() -> this.jdbc.queryForObject(
                "SELECT COUNT(*) FROM tally_dead_letter WHERE reason LIKE '%no message_id%'", Integer.class) == 1);
        eventually().until(() -> "PARKED".equals(deadLetterStatus(newerId)));
        assertThat(this.jdbc.queryForObject("SELECT reason FROM tally_dead_letter WHERE message_id = ?", String.class,
                newerId)).contains("Schema version 2").contains("newer than the version 1");
        assertThat(effectsOfAggregate("anonymous")).isZero();
        assertThat(effectsOfAggregate("from-the-future")).isZero();
    }

    /**
     * The retry copy cannot be confirmed (its tier queue is gone: the broker returns it): the original is
     * rejected without requeue, so the broker dead-letters it itself; the compensation consumer stores it and
     * re-drives it, and it is applied once. Nothing is lost on the way.
     */
    @Test
    void aRetryCopyThatCannotBeConfirmedHasTheBrokerDeadLetterTheOriginalWhichIsRedrivenAndAppliedOnce() {
        org.springframework.amqp.rabbit.core.RabbitAdmin admin = new org.springframework.amqp.rabbit.core.RabbitAdmin(
                this.connectionFactory);
        String tier = this.topology.retryQueue(workQueue(), 1);
        assertThat(admin.deleteQueue(tier)).isTrue();
        AtomicBoolean failedOnce = new AtomicBoolean();
        String aggregate = "unconfirmed-" + newId();
        this.handler.behave((event, context) -> {
            if (event.aggregateId().equals(aggregate) && !failedOnce.getAndSet(true)) {
                throw new IllegalStateException("transient, the first time");
            }
        });
        try {
            String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));

            eventually().until(() -> deadLetterStatus(messageId) != null);
            Map<String, Object> row = this.jdbc.queryForMap(
                    "SELECT failure_kind, reason FROM tally_dead_letter WHERE message_id = ?", messageId);
            assertThat(row.get("failure_kind")).isEqualTo("TRANSIENT");
            assertThat((String) row.get("reason")).isEqualTo("dead-lettered by the broker: rejected");
            eventually().until(() -> effectsOf(messageId) == 1);
            eventually().until(() -> "REDRIVEN".equals(deadLetterStatus(messageId)));
            assertThat(effectsOf(messageId)).isEqualTo(1);
            assertThat(this.handler.invocations().stream().filter(i -> i.messageId().equals(messageId))).hasSize(2);
        }
        finally {
            this.declarer.declare();
        }
    }

    /**
     * Whatever goes wrong before the handler runs (here: an attempt header that is not a number) dead-letters the
     * message with its reason; nothing is left unacknowledged, and the next message is handled.
     */
    @Test
    void aMessageThatFailsBeforeItsHandlerRunsIsDeadLetteredWithItsReasonNotLeftUnacknowledged() {
        String messageId = newId();
        org.springframework.amqp.core.MessageProperties properties = new org.springframework.amqp.core.MessageProperties();
        properties.setMessageId(messageId);
        properties.setType("test.happened");
        properties.setContentType(org.springframework.amqp.core.MessageProperties.CONTENT_TYPE_JSON);
        properties.setHeader(io.tally.contract.MessageHeaders.ATTEMPT, "second");
        new org.springframework.amqp.rabbit.core.RabbitTemplate(this.connectionFactory).send(
                this.topology.exchange("test.events"), "test.happened", new org.springframework.amqp.core.Message(
                        "{\"aggregateId\":\"malformed\",\"seq\":0}".getBytes(StandardCharsets.UTF_8), properties));

        eventually().until(() -> "PARKED".equals(deadLetterStatus(messageId)));
        Map<String, Object> row = this.jdbc.queryForMap(
                "SELECT failure_kind, reason FROM tally_dead_letter WHERE message_id = ?", messageId);
        assertThat(row.get("failure_kind")).isEqualTo("PERMANENT");
        assertThat((String) row.get("reason")).contains("tally-attempt").contains("second");
        assertThat(effectsOf(messageId)).isZero();
        String next = "after-malformed-" + newId();
        String nextId = this.transaction.execute(s -> this.outbox.publish(next, new Happened(next, 0)));
        eventually().until(() -> effectsOf(nextId) == 1);
    }

    private String deadLetterStatus(String messageId) {
        List<String> statuses = this.jdbc.queryForList("SELECT status FROM tally_dead_letter WHERE message_id = ?",
                String.class, messageId);
        return statuses.isEmpty() ? null : statuses.get(0);
    }

    private double counter(String outcome) {
        return this.meters.get("tally.consumer.messages").tag("outcome", outcome).counter().count();
    }

    @NonRetryable
    static class UnknownProduct extends RuntimeException {

        UnknownProduct(String message) {
            super(message);
        }
    }
}
