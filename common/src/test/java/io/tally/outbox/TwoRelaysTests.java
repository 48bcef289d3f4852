package io.tally.outbox;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;

import io.tally.contract.MessageHeaders;
import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two relays (as two instances would run them, two workers each) on one outbox table: every row reaches the
 * broker exactly once, and the events of each aggregate reach it in the order they were written.
 */
class TwoRelaysTests extends IntegrationTests {

    static final int AGGREGATES = 100;

    static final int EVENTS_PER_AGGREGATE = 10;

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

    @Autowired
    io.micrometer.observation.ObservationRegistry observations;

    @Autowired
    io.micrometer.tracing.Tracer tracer;

    @Test
    void twoRelaysPublishEveryRowOnceAndKeepPerAggregateOrder() {
        RabbitAdmin admin = new RabbitAdmin(this.connectionFactory);
        String auditName = this.topology.exchange("audit.happened");
        Queue audit = QueueBuilder.durable(auditName).quorum().deliveryLimit(3).build();
        admin.declareQueue(audit);
        Binding binding = BindingBuilder.bind(audit).to(new TopicExchange(this.topology.exchange("test.events")))
            .with("test.happened");
        admin.declareBinding(binding);
        java.util.concurrent.atomic.AtomicInteger claimedBySecond = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger claimedByFirst = new java.util.concurrent.atomic.AtomicInteger();
        this.relayHooks.onClaimed(batch -> claimedByFirst.addAndGet(batch.size()));
        OutboxRelay second = OutboxAutoConfiguration.newRelay(this.store, this.dataSource, this.connectionFactory,
                this.properties, this.tallyClock, "second-instance", "testsvc", this.json, new OutboxListener() {
                    @Override
                    public void claimed(List<OutboxRecord> batch) {
                        claimedBySecond.addAndGet(batch.size());
                    }
                });
        second.start();
        try {
            String run = "ordered-" + newId().substring(0, 8);
            // written under one span (a request's, say): every row carries its trace context to its message
            io.micrometer.observation.Observation producer = io.micrometer.observation.Observation
                .createNotStarted("test.producer", this.observations).start();
            String traceId;
            try (io.micrometer.observation.Observation.Scope scope = producer.openScope()) {
                traceId = this.tracer.currentSpan().context().traceId();
                for (int seq = 0; seq < EVENTS_PER_AGGREGATE; seq++) {
                    for (int a = 0; a < AGGREGATES; a++) {
                        String aggregate = run + "-" + a;
                        int n = seq;
                        this.transaction.executeWithoutResult(s -> this.outbox.publish(aggregate, new Happened(aggregate, n)));
                    }
                }
            }
            finally {
                producer.stop();
            }
            int total = AGGREGATES * EVENTS_PER_AGGREGATE;
            eventually().atMost(Duration.ofSeconds(90)).until(() -> this.jdbc.queryForObject(
                    "SELECT COUNT(*) FROM tally_outbox WHERE aggregate_id LIKE ? AND status = 'SENT'", Integer.class,
                    run + "-%") == total);

            RabbitTemplate rabbit = new RabbitTemplate(this.connectionFactory);
            List<Message> received = new ArrayList<>();
            eventually().until(() -> {
                Message m;
                while ((m = rabbit.receive(auditName)) != null) {
                    received.add(m);
                }
                return received.size() >= total;
            });
            assertThat(rabbit.receive(auditName)).as("no message beyond the rows written").isNull();
            Set<String> ids = new HashSet<>();
            Map<String, List<Integer>> seqs = new HashMap<>();
            for (Message m : received) {
                ids.add(m.getMessageProperties().getMessageId());
                assertThat(m.getMessageProperties().<String>getHeader("traceparent"))
                    .matches("00-" + traceId + "-[0-9a-f]{16}-[0-9a-f]{2}");
                assertThat(m.getMessageProperties().getType()).isEqualTo("test.happened");
                assertThat(m.getMessageProperties().<Integer>getHeader(MessageHeaders.SCHEMA_VERSION)).isEqualTo(1);
                assertThat(m.getMessageProperties().getCorrelationId()).isNotBlank();
                assertThat(m.getMessageProperties().<String>getHeader(MessageHeaders.OCCURRED_AT)).isNotBlank();
                String aggregate = m.getMessageProperties().getHeader(MessageHeaders.AGGREGATE_ID);
                Happened event = this.json.readValue(m.getBody(), Happened.class);
                seqs.computeIfAbsent(aggregate, k -> new ArrayList<>()).add(event.seq());
            }
            assertThat(ids).as("each row published once").hasSize(total);
            assertThat(seqs).hasSize(AGGREGATES);
            List<Integer> expected = java.util.stream.IntStream.range(0, EVENTS_PER_AGGREGATE).boxed().toList();
            seqs.forEach((aggregate, order) -> assertThat(order).as("order of " + aggregate).isEqualTo(expected));
            List<String> owners = this.jdbc.queryForList(
                    "SELECT DISTINCT SUBSTRING_INDEX(lease_owner, '#', 1) FROM tally_outbox WHERE lease_owner IS NOT NULL",
                    String.class);
            assertThat(owners).as("leases are released when rows are finished").isEmpty();
            // both relays did share the work: each claimed rows, and no row was claimed twice
            assertThat(claimedByFirst.get()).as("rows claimed by the first relay").isPositive();
            assertThat(claimedBySecond.get()).as("rows claimed by the second relay").isPositive();
            assertThat(claimedByFirst.get() + claimedBySecond.get()).as("claims in all").isEqualTo(total);
        }
        finally {
            second.stop();
            admin.deleteQueue(auditName);
        }
    }
}
