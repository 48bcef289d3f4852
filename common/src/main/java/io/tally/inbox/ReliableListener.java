package io.tally.inbox;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;

import com.rabbitmq.client.Channel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.ReceiverContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.contract.ContractViolationException;
import io.tally.contract.Correlation;
import io.tally.contract.EventDescriptor;
import io.tally.contract.MessageHeaders;
import io.tally.retry.FailureClassifier;
import io.tally.retry.FailureKind;
import io.tally.retry.Rerouter;

/**
 * The consumer chain around one handler, the only code that acknowledges.
 * <ol>
 * <li>Read the envelope and the body; a message without id, of another type, of a newer schema version or
 * with an unreadable body is a permanent failure.</li>
 * <li>In one transaction: insert {@code (queue, message id)} into the dedup table (a duplicate is skipped)
 * and run the handler.</li>
 * <li>After the commit, acknowledge.</li>
 * <li>On failure, after the rollback: a permanent failure, or a transient one on its last attempt, is
 * copied to the dead-letter exchange with its reason; an earlier transient one is copied to the next retry
 * tier with its attempt count. Once the broker confirms the copy, the original is acknowledged; if the copy
 * cannot be confirmed, the original is rejected without requeue, so the broker dead-letters it instead.</li>
 * </ol>
 * A handler that crashes with an {@link Error} has its message handed back with a counted reject, so the
 * queue's delivery limit stops a message that crashes its consumer every time; an {@link OutOfMemoryError}
 * is rethrown for the container to end the process.
 * <p>
 * Each delivery is one {@link Observation} ({@value #OBSERVATION}): it continues the trace whose context the
 * message's headers carry, so the handler's own outbox rows go on in the same trace; it times the delivery by
 * queue, event and outcome; and the message id, correlation id and aggregate id are in the logging context
 * (MDC) while it runs.
 */
final class ReliableListener<E> implements ChannelAwareMessageListener {

    private static final Logger log = LoggerFactory.getLogger(ReliableListener.class);

    /** The observation of one delivery: a consumer span, and the timer {@code tally.consumer.handling}. */
    static final String OBSERVATION = "tally.consumer.handling";

    private final String queue;

    private final EventDescriptor event;

    private final EventHandler<E> handler;

    private final JsonMapper json;

    private final TransactionTemplate transaction;

    private final InboxStore inbox;

    private final FailureClassifier classifier;

    private final Rerouter rerouter;

    private final int maxAttempts;

    private final Clock clock;

    private final Counter handled;

    private final Counter duplicates;

    private final Counter retried;

    private final Counter deadLettered;

    private final ObservationRegistry observations;

    private final String aggregateLogKey;

    ReliableListener(String queue, EventDescriptor event, EventHandler<E> handler, JsonMapper json,
            TransactionTemplate transaction, InboxStore inbox, FailureClassifier classifier, Rerouter rerouter,
            int maxAttempts, Clock clock, MeterRegistry registry, ObservationRegistry observations,
            String aggregateLogKey) {
        this.observations = observations;
        this.aggregateLogKey = aggregateLogKey;
        this.queue = queue;
        this.event = event;
        this.handler = handler;
        this.json = json;
        this.transaction = transaction;
        this.inbox = inbox;
        this.classifier = classifier;
        this.rerouter = rerouter;
        this.maxAttempts = maxAttempts;
        this.clock = clock;
        this.handled = counter(registry, "handled");
        this.duplicates = counter(registry, "duplicate");
        this.retried = counter(registry, "retried");
        this.deadLettered = counter(registry, "dead_lettered");
    }

    private Counter counter(MeterRegistry registry, String outcome) {
        return Counter.builder("tally.consumer.messages")
            .tag("queue", this.queue)
            .tag("outcome", outcome)
            .description("Messages handled by the consumer chain, by outcome")
            .register(registry);
    }

    @Override
    public void onMessage(Message message, Channel channel) throws IOException {
        MessageProperties properties = message.getMessageProperties();
        // the trace goes on from the headers the producer's outbox row carried (a consumer span, child of the
        // producing transaction's span); the timer of this observation is tally.consumer.handling
        Observation observation = Observation
            .createNotStarted(OBSERVATION, () -> receiverContext(message), this.observations)
            .contextualName(this.queue + " process")
            .lowCardinalityKeyValue("queue", this.queue)
            .lowCardinalityKeyValue("event", this.event.name())
            .highCardinalityKeyValue("messaging.message.id", logValue(properties.getMessageId()))
            .highCardinalityKeyValue("tally.aggregate.id", logValue(properties.getHeader(MessageHeaders.AGGREGATE_ID)))
            .start();
        String outcome = "crashed";
        try (Observation.Scope scope = observation.openScope();
                MDC.MDCCloseable id = MDC.putCloseable("messageId", logValue(properties.getMessageId()));
                MDC.MDCCloseable correlation = MDC.putCloseable("correlationId", logValue(correlationId(properties)));
                MDC.MDCCloseable aggregate = MDC.putCloseable(this.aggregateLogKey,
                        logValue(properties.getHeader(MessageHeaders.AGGREGATE_ID)))) {
            outcome = process(message, channel, observation);
        }
        catch (IOException | RuntimeException | Error ex) {
            observation.error(ex);
            throw ex;
        }
        finally {
            observation.lowCardinalityKeyValue("outcome", outcome);
            observation.stop();
        }
    }

    /** Handles one delivery and acknowledges it; the outcome is the {@code outcome} tag of its timer. */
    private String process(Message message, Channel channel, Observation observation) throws IOException {
        long tag = message.getMessageProperties().getDeliveryTag();
        int attempt = 1;
        boolean first;
        try {
            // everything that reads the message is inside: a failure before the handler runs is dead-lettered
            // like any other, never left unacknowledged
            attempt = attempt(message.getMessageProperties());
            first = handle(message, attempt);
        }
        catch (HandlerFailure | ContractViolationException | JacksonException failure) {
            Throwable cause = failure instanceof HandlerFailure hf ? hf.getCause() : failure;
            observation.error(cause);
            return reroute(message, channel, tag, attempt, cause);
        }
        catch (RuntimeException failure) {
            // The transaction itself failed (database down, deadlock on commit): transient.
            observation.error(failure);
            return reroute(message, channel, tag, attempt, failure);
        }
        catch (OutOfMemoryError | InternalError | UnknownError fatal) {
            throw fatal; // the JVM is not to be trusted: the container's error handler ends the process
        }
        catch (Error crash) {
            observation.error(crash);
            crashed(message, channel, tag, crash);
            return "crashed";
        }
        // Committed. If the ack fails (the channel closed meanwhile), the broker redelivers the message and
        // the dedup table absorbs it; the failure propagates to the container, which replaces the channel.
        channel.basicAck(tag, false);
        (first ? this.handled : this.duplicates).increment();
        return first ? "handled" : "duplicate";
    }

    private static ReceiverContext<Message> receiverContext(Message message) {
        ReceiverContext<Message> context = new ReceiverContext<>((carrier, key) -> {
            Object value = carrier.getMessageProperties().getHeader(key);
            return value != null ? value.toString() : null;
        });
        context.setCarrier(message);
        context.setRemoteServiceName("RabbitMQ");
        return context;
    }

    private static @Nullable String correlationId(MessageProperties properties) {
        return properties.getCorrelationId() != null ? properties.getCorrelationId()
                : properties.getHeader(MessageHeaders.CORRELATION_ID);
    }

    /** A value from the message for the logging context and the span: bounded, whatever the sender put there. */
    private static String logValue(@Nullable Object value) {
        if (value == null) {
            return "";
        }
        String text = value.toString();
        return text.length() > 128 ? text.substring(0, 128) : text;
    }

    private boolean handle(Message message, int attempt) {
        MessageProperties properties = message.getMessageProperties();
        String messageId = properties.getMessageId();
        if (messageId == null || messageId.isBlank()) {
            throw new ContractViolationException("The message has no message_id property");
        }
        if (messageId.length() > 64) {
            throw new ContractViolationException("The message_id is longer than 64 characters");
        }
        String type = properties.getType() != null ? properties.getType()
                : properties.getHeader(MessageHeaders.EVENT_TYPE);
        if (!this.event.name().equals(type)) {
            throw new ContractViolationException("Queue " + this.queue + " takes '" + this.event.name()
                    + "' events, not '" + type + "'");
        }
        int version = intHeader(properties, MessageHeaders.SCHEMA_VERSION, 1);
        if (version > this.event.version()) {
            throw new ContractViolationException("Schema version " + version + " of '" + type
                    + "' is newer than the version " + this.event.version() + " this consumer reads");
        }
        @SuppressWarnings("unchecked")
        E body = (E) this.json.readValue(message.getBody(), this.event.eventClass());
        if (body == null) {
            throw new ContractViolationException("The message body is empty");
        }
        String correlationId = correlationId(properties);
        EventContext context = new EventContext(messageId, type, version,
                properties.getHeader(MessageHeaders.AGGREGATE_ID), correlationId, occurredAt(properties), attempt,
                this.queue);
        Boolean first = this.transaction.execute(status -> {
            if (!this.inbox.record(this.queue, messageId, this.clock.instant())) {
                return false;
            }
            Correlation.with(correlationId, () -> {
                try {
                    this.handler.handle(body, context);
                }
                catch (Exception ex) {
                    throw new HandlerFailure(ex);
                }
                return null;
            });
            return true;
        });
        return Boolean.TRUE.equals(first);
    }

    private String reroute(Message message, Channel channel, long tag, int attempt, Throwable cause) throws IOException {
        String outcome;
        try {
            if (this.classifier.isPermanent(cause)) {
                log.warn("Dead-lettering message {} from {} at once (attempt {}): {}",
                        message.getMessageProperties().getMessageId(), this.queue, attempt, cause.toString());
                this.rerouter.deadLetter(message, this.queue, "permanent failure: " + cause, FailureKind.PERMANENT,
                        attempt, cause);
                this.deadLettered.increment();
                outcome = "dead_lettered";
            }
            else if (attempt < this.maxAttempts) {
                log.info("Retrying message {} from {} (attempt {} of {} failed): {}",
                        message.getMessageProperties().getMessageId(), this.queue, attempt, this.maxAttempts,
                        cause.toString());
                this.rerouter.retry(message, this.queue, attempt + 1, cause);
                this.retried.increment();
                outcome = "retried";
            }
            else {
                log.warn("Dead-lettering message {} from {} after {} attempts: {}",
                        message.getMessageProperties().getMessageId(), this.queue, attempt, cause.toString());
                this.rerouter.deadLetter(message, this.queue, "retries exhausted after " + attempt + " attempts: "
                        + cause, FailureKind.TRANSIENT, attempt, cause);
                this.deadLettered.increment();
                outcome = "dead_lettered";
            }
        }
        catch (RuntimeException ex) {
            log.warn("Could not re-route message {} from {} ({}); rejecting it so the broker dead-letters it",
                    message.getMessageProperties().getMessageId(), this.queue, ex.getMessage());
            channel.basicReject(tag, false);
            this.deadLettered.increment();
            return "dead_lettered";
        }
        channel.basicAck(tag, false);
        return outcome;
    }

    /**
     * The handler crashed (a StackOverflowError, a LinkageError...): its transaction rolled back. The message
     * goes back to the queue with a reject, which RabbitMQ 3.10 and 4.x both count towards the delivery limit,
     * so a message that crashes its consumer every time ends in the dead-letter queue as poison instead of
     * looping, and the consumer goes on. If the crash took the channel with it, the broker has requeued and
     * counted the message already.
     */
    private void crashed(Message message, Channel channel, long tag, Error crash) {
        log.error("Handler crashed on message {} from {}; handing it back to the broker, which counts it towards "
                + "the delivery limit", message.getMessageProperties().getMessageId(), this.queue, crash);
        try {
            channel.basicReject(tag, true);
        }
        catch (IOException | RuntimeException closed) {
            log.warn("The channel of {} closed with the crash; the broker requeues the message itself", this.queue);
        }
    }

    static int attempt(MessageProperties properties) {
        return Math.max(1, intHeader(properties, MessageHeaders.ATTEMPT, 1));
    }

    private static int intHeader(MessageProperties properties, String name, int fallback) {
        Object value = properties.getHeader(name);
        if (value instanceof Number n) {
            return n.intValue();
        }
        if (value != null) {
            try {
                return Integer.parseInt(value.toString());
            }
            catch (NumberFormatException ex) {
                throw new ContractViolationException("Header " + name + " is not a number: " + value);
            }
        }
        return fallback;
    }

    private static Instant occurredAt(MessageProperties properties) {
        Object value = properties.getHeader(MessageHeaders.OCCURRED_AT);
        if (value != null) {
            try {
                return Instant.parse(value.toString());
            }
            catch (DateTimeParseException ex) {
                return null;
            }
        }
        return properties.getTimestamp() != null ? properties.getTimestamp().toInstant() : null;
    }

    /** Carries a handler's exception out of the transaction callback. */
    static final class HandlerFailure extends RuntimeException {

        HandlerFailure(Throwable cause) {
            super(cause);
        }
    }
}
