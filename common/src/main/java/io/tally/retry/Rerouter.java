package io.tally.retry;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.AmqpIOException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import io.tally.confirm.PublisherConfirms;
import io.tally.contract.MessageHeaders;
import io.tally.topology.Topology;

/**
 * Sends a failed message to its next retry tier or to the dead-letter exchange, and waits for the broker's
 * confirm: the caller acknowledges the original only once the copy is safe.
 */
public final class Rerouter {

    private final RabbitTemplate rabbit;

    private final Topology topology;

    private final Clock clock;

    private final Duration confirmTimeout;

    public Rerouter(RabbitTemplate rabbit, Topology topology, Clock clock, Duration confirmTimeout) {
        this.rabbit = rabbit;
        this.topology = topology;
        this.clock = clock;
        this.confirmTimeout = confirmTimeout;
    }

    /**
     * Publishes a copy for its {@code nextAttempt}-th attempt to the matching retry tier of {@code queue}.
     * @throws AmqpException when the broker did not confirm the copy
     */
    public void retry(Message message, String queue, int nextAttempt, Throwable failure) {
        Message copy = copy(message, queue, failure);
        copy.getMessageProperties().setHeader(MessageHeaders.ATTEMPT, nextAttempt);
        send("", this.topology.retryQueue(queue, nextAttempt - 1), copy);
    }

    /**
     * Publishes a copy to this service's dead-letter exchange, routed to the dead-letter queue of {@code queue}.
     * @throws AmqpException when the broker did not confirm the copy
     */
    public void deadLetter(Message message, String queue, String reason, FailureKind kind, int attempt,
            Throwable failure) {
        Message copy = copy(message, queue, failure);
        MessageProperties properties = copy.getMessageProperties();
        properties.setHeader(MessageHeaders.ATTEMPT, attempt);
        properties.setHeader(MessageHeaders.DEAD_LETTER_REASON, reason);
        properties.setHeader(MessageHeaders.FAILURE_KIND, kind.name());
        send(this.topology.deadLetterExchange(), queue, copy);
    }

    /**
     * Sends a stored message back to its work queue through the default exchange, as a first attempt,
     * keeping its message id so that the dedup table still protects it.
     * @throws AmqpException when the broker did not confirm it
     */
    public void redeliver(String queue, Message message) {
        send("", queue, message);
    }

    /**
     * Sends a message that reached its work queue's delivery limit to the quarantine of {@code queue}, with its
     * message id and headers (not the broker's {@code x-death}).
     * @throws AmqpException when the broker did not confirm it
     */
    public void quarantine(Message message, String queue) {
        Message copy = copy(message, queue, null);
        copy.getMessageProperties().getHeaders().remove(MessageHeaders.EXCEPTION);
        send("", this.topology.quarantineQueue(queue), copy);
    }

    private Message copy(Message message, String queue, Throwable failure) {
        MessageProperties original = message.getMessageProperties();
        MessageProperties properties = new MessageProperties();
        properties.setContentType(original.getContentType());
        properties.setContentEncoding(original.getContentEncoding());
        properties.setDeliveryMode(original.getDeliveryMode() != null ? original.getDeliveryMode()
                : org.springframework.amqp.core.MessageDeliveryMode.PERSISTENT);
        properties.setMessageId(original.getMessageId());
        properties.setType(original.getType());
        properties.setTimestamp(original.getTimestamp());
        properties.setCorrelationId(original.getCorrelationId());
        properties.setAppId(original.getAppId());
        original.getHeaders().forEach((name, value) -> {
            if (!name.startsWith("x-")) {
                properties.setHeader(name, value);
            }
        });
        properties.setHeader(MessageHeaders.ORIGINAL_QUEUE, queue);
        if (original.getHeader(MessageHeaders.ORIGINAL_EXCHANGE) == null) {
            properties.setHeader(MessageHeaders.ORIGINAL_EXCHANGE, nullToEmpty(original.getReceivedExchange()));
            properties.setHeader(MessageHeaders.ORIGINAL_ROUTING_KEY, nullToEmpty(original.getReceivedRoutingKey()));
        }
        if (original.getHeader(MessageHeaders.FIRST_FAILED_AT) == null) {
            properties.setHeader(MessageHeaders.FIRST_FAILED_AT, this.clock.instant().toString());
        }
        properties.setHeader(MessageHeaders.EXCEPTION, describe(failure));
        return new Message(message.getBody(), properties);
    }

    private void send(String exchange, String routingKey, Message message) {
        CorrelationData correlation = new CorrelationData();
        this.rabbit.send(exchange, routingKey, message, correlation);
        String problem = PublisherConfirms.problem(correlation, System.nanoTime() + this.confirmTimeout.toNanos(),
                this.confirmTimeout);
        if (problem != null) {
            throw new AmqpIOException("Copy for " + routingKey + ": " + problem, null);
        }
    }

    private static String nullToEmpty(String value) {
        return value != null ? value : "";
    }

    /** The exception as stored with a dead letter: class and message of each cause, and the top frames. */
    public static String describe(Throwable failure) {
        if (failure == null) {
            return "";
        }
        StringWriter out = new StringWriter();
        failure.printStackTrace(new PrintWriter(out));
        String text = out.toString();
        return text.length() > 4000 ? text.substring(0, 4000) + "..." : text;
    }
}
