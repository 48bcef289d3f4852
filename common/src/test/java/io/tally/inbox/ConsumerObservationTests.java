package io.tally.inbox;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;

import io.tally.contract.MessageHeaders;
import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.outbox.Outbox;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each delivery is an observation: it goes on in the trace its message carries, its handler logs with the message's
 * ids in the logging context, and it is timed by queue, event and outcome ({@code tally.consumer.handling}).
 */
class ConsumerObservationTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Autowired
    ObservationRegistry observations;

    @Autowired
    Tracer tracer;

    @Autowired
    MeterRegistry meters;

    private final List<Map<String, String>> contexts = new CopyOnWriteArrayList<>();

    @AfterEach
    void quiet() {
        this.handler.reset();
    }

    @Test
    void aMessagesTraceContextIsContinuedAndItsIdsAreInTheLoggingContext() {
        recordLoggingContexts();
        String traceId = hex(16);
        String messageId = newId();
        MessageProperties properties = new MessageProperties();
        properties.setMessageId(messageId);
        properties.setType("test.happened");
        properties.setCorrelationId("corr-" + messageId);
        properties.setContentType(MessageProperties.CONTENT_TYPE_JSON);
        properties.setHeader(MessageHeaders.AGGREGATE_ID, "order-42");
        properties.setHeader("traceparent", "00-" + traceId + "-" + hex(8) + "-01");
        new RabbitTemplate(this.connectionFactory).send(this.topology.exchange("test.events"), "test.happened",
                new Message("{\"aggregateId\":\"order-42\",\"seq\":0}".getBytes(StandardCharsets.UTF_8), properties));

        eventually().until(() -> effectsOf(messageId) == 1);
        Map<String, String> seen = this.contexts.stream().filter(c -> messageId.equals(c.get("messageId"))).findFirst()
            .orElseThrow();
        assertThat(seen).containsEntry("traceId", traceId)
            .containsEntry("correlationId", "corr-" + messageId)
            .containsEntry("aggregateId", "order-42")
            .containsKey("spanId");
        assertThat(MDC.get("messageId")).as("the consumer's context does not leak into this thread").isNull();
        eventually().until(() -> handlingTimer("handled") != null);
        assertThat(handlingTimer("handled").count()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void theTraceOfTheWritingTransactionGoesOnInTheConsumer() {
        recordLoggingContexts();
        String aggregate = "traced-" + newId();
        Observation producer = Observation.createNotStarted("test.producer", this.observations).start();
        String traceId;
        String messageId;
        try (Observation.Scope scope = producer.openScope()) {
            traceId = this.tracer.currentSpan().context().traceId();
            assertThat(traceId).as("a real trace id").matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32));
            assertThat(MDC.get("traceId")).as("the producer's own logging context").isEqualTo(traceId);
            messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
        }
        finally {
            producer.stop();
        }
        assertThat(this.jdbc.queryForObject("SELECT headers FROM tally_outbox WHERE message_id = ?", String.class,
                messageId)).as("the row carries its transaction's trace context").contains(traceId);

        eventually().until(() -> effectsOf(messageId) == 1);
        assertThat(this.contexts).filteredOn(c -> messageId.equals(c.get("messageId")))
            .singleElement()
            .satisfies(c -> assertThat(c).containsEntry("traceId", traceId).containsEntry("aggregateId", aggregate));
    }

    /**
     * The opt-in JSON log format (Spring Boot's structured logging, {@code logging.structured.format.console}) carries
     * the delivery's logging context: a line the handler writes names its trace, message and aggregate.
     */
    @Test
    void aHandlersLogLineInTheJsonFormatCarriesTheTraceAndMessageIds() throws Exception {
        ch.qos.logback.classic.LoggerContext logging = (ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory
            .getILoggerFactory();
        org.springframework.boot.logging.logback.StructuredLogEncoder encoder = new org.springframework.boot.logging.logback.StructuredLogEncoder();
        encoder.setContext(logging);
        encoder.setFormat("logstash");
        encoder.start();
        java.io.ByteArrayOutputStream lines = new java.io.ByteArrayOutputStream();
        ch.qos.logback.core.OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent> json = new ch.qos.logback.core.OutputStreamAppender<>();
        json.setContext(logging);
        json.setEncoder(encoder);
        json.setOutputStream(lines);
        json.start();
        ch.qos.logback.classic.Logger handlerLog = logging.getLogger("io.tally.test.handler");
        handlerLog.addAppender(json);
        try {
            String aggregate = "json-" + newId();
            this.handler.behave((event, context) -> handlerLog.info("applying {}", event.aggregateId()));
            String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
            eventually().until(() -> effectsOf(messageId) == 1);
            String line = lines.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(aggregate)).findFirst()
                .orElseThrow();
            tools.jackson.databind.JsonNode fields = tools.jackson.databind.json.JsonMapper.builder().build().readTree(line);
            assertThat(fields.path("message").asString()).isEqualTo("applying " + aggregate);
            assertThat(fields.path("messageId").asString()).isEqualTo(messageId);
            assertThat(fields.path("aggregateId").asString()).isEqualTo(aggregate);
            assertThat(fields.path("traceId").asString()).matches("[0-9a-f]{32}");
        }
        finally {
            handlerLog.detachAppender(json);
            json.stop();
        }
    }

    @Test
    void aFailedDeliveryIsTimedWithItsOutcome() {
        String aggregate = "failing-" + newId();
        this.handler.behave((event, context) -> {
            if (aggregate.equals(event.aggregateId())) {
                throw new IllegalStateException("refused by the handler");
            }
        });
        double before = handlingTimer("retried") != null ? handlingTimer("retried").count() : 0;
        this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
        eventually().until(() -> handlingTimer("retried") != null && handlingTimer("retried").count() > before);
        Timer retried = handlingTimer("retried");
        assertThat(retried.getId().getTag("error")).isEqualTo("IllegalStateException");
    }

    private void recordLoggingContexts() {
        this.handler.behave((event, context) -> {
            Map<String, String> mdc = MDC.getCopyOfContextMap();
            this.contexts.add(mdc != null ? Map.copyOf(mdc) : Map.of());
        });
    }

    private Timer handlingTimer(String outcome) {
        return this.meters.find("tally.consumer.handling").tag("queue", workQueue()).tag("outcome", outcome).timer();
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] |= 1;
        return HexFormat.of().formatHex(b);
    }
}
