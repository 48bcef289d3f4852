package io.tally.confirm;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jspecify.annotations.Nullable;

import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

/**
 * Publishing that counts a message as sent only when the broker acked it and did not return it. Used by the
 * outbox relay, by the consumer chain's re-routing and by the dead-letter re-driver.
 */
public final class PublisherConfirms {

    private PublisherConfirms() {
    }

    /**
     * Fails start-up unless the connection factory has correlated confirms and returns.
     * @param user what needs them, for the message
     * @throws IllegalStateException when either is off
     */
    public static void requireCorrelated(ConnectionFactory connectionFactory, String user) {
        if (!connectionFactory.isPublisherConfirms() || !connectionFactory.isPublisherReturns()) {
            throw new IllegalStateException(user + " needs correlated publisher confirms and returns: set "
                    + "spring.rabbitmq.publisher-confirm-type=correlated and spring.rabbitmq.publisher-returns=true");
        }
    }

    /**
     * A template of its own that publishes with the mandatory flag on the publisher connection; a returned
     * message is attached to its {@link CorrelationData}, where {@link #problem} reads it.
     */
    public static RabbitTemplate template(ConnectionFactory connectionFactory) {
        RabbitTemplate rabbit = new RabbitTemplate(connectionFactory);
        rabbit.setMandatory(true);
        rabbit.setUsePublisherConnection(true);
        rabbit.setReturnsCallback(returned -> {
            // read from the CorrelationData instead
        });
        return rabbit;
    }

    /**
     * Waits for a message's confirm until {@code deadlineNanos} ({@link System#nanoTime()} based).
     * @param timeout the configured wait, for the message
     * @return {@code null} when the broker acked the message and did not return it, else what went wrong
     */
    public static @Nullable String problem(CorrelationData correlation, long deadlineNanos, Duration timeout) {
        try {
            CorrelationData.Confirm confirm = correlation.getFuture()
                .get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (correlation.getReturned() != null) {
                return "returned by the broker: " + correlation.getReturned().getReplyText()
                        + " (no queue bound for routing key '" + correlation.getReturned().getRoutingKey() + "')";
            }
            if (!confirm.ack()) {
                return "nacked by the broker: " + confirm.reason();
            }
            return null;
        }
        catch (TimeoutException ex) {
            return "no publisher confirm within " + timeout;
        }
        catch (ExecutionException ex) {
            return "confirm failed: " + ex.getCause();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return "interrupted while waiting for the confirm";
        }
    }
}
