package io.tally.topology;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The broker topology of one service.
 *
 * @param service the name of this service (for example {@code inventory}): it names the service's work
 * queues ({@code <service>.<event type>}) and its dead-letter exchange ({@code <service>.dlx})
 * @param prefix a prefix put before every exchange and queue name, so that several deployments or test
 * runs can share one broker
 * @param exchanges the topic exchanges this service publishes to (for example {@code order.events}),
 * before the prefix
 * @param deliveryLimit the {@code x-delivery-limit} of every work queue: how often the broker redelivers
 * a message whose consumer crashed or rejected it before dead-lettering it; set explicitly because
 * RabbitMQ 3.10 has no default and 4.x defaults to 20
 * @param retryDelays the retry tiers: one queue per delay, each with that fixed {@code x-message-ttl},
 * dead-lettering back to its work queue; the n-th retry waits the n-th delay (the last one repeats)
 * @param deadLetterDeliveryLimit the {@code x-delivery-limit} of the dead-letter queues, high because
 * their consumer only stores messages and backs off while the database is down
 * @param deleteOnClose whether to delete every exchange and queue of this topology, messages included, when
 * the application context closes: for tests and throwaway environments only, never for a real deployment
 */
@ConfigurationProperties("tally.topology")
public record TopologyProperties(String service, @DefaultValue("") String prefix,
        @DefaultValue List<String> exchanges, @DefaultValue("5") int deliveryLimit,
        @DefaultValue({ "1s", "10s", "60s" }) List<Duration> retryDelays,
        @DefaultValue("1000") int deadLetterDeliveryLimit, @DefaultValue("false") boolean deleteOnClose) {

    public TopologyProperties {
        if (service == null || service.isBlank()) {
            throw new IllegalArgumentException("tally.topology.service must name this service, for example 'inventory'");
        }
        if (deliveryLimit < 1) {
            throw new IllegalArgumentException("tally.topology.delivery-limit must be at least 1");
        }
        if (retryDelays.isEmpty() || retryDelays.stream().anyMatch(d -> d.isNegative() || d.isZero())) {
            throw new IllegalArgumentException("tally.topology.retry-delays must list at least one positive delay");
        }
        retryDelays = List.copyOf(retryDelays);
        exchanges = List.copyOf(exchanges);
    }
}
