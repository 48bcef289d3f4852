package io.tally.inbox;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The consumer chain.
 *
 * @param enabled whether this instance consumes (handlers are still registered and their queues declared)
 * @param concurrency consumers per work queue
 * @param prefetch unacknowledged messages per consumer
 * @param maxAttempts deliveries of a message before a transient failure is dead-lettered, the first one
 * included; 0 means one more than the number of retry tiers
 * @param nonRetryable exception types that are permanent failures, besides contract violations, unreadable
 * bodies and types annotated {@code @NonRetryable}
 * @param confirmTimeout how long a copy sent to a retry tier or the dead-letter exchange may wait for its
 * confirm before the original is rejected instead (the broker then dead-letters it)
 * @param inboxRetention how long message ids are kept in the dedup table; a duplicate older than this is
 * no longer recognised by the table (the business state machine remains the second guard)
 * @param purgeInterval how often expired dedup rows are deleted
 * @param aggregateLogKey the logging-context (MDC) key under which a message's aggregate id is put while it is
 * handled ({@code orderNo} in this system's services, whose every event is about an order)
 */
@ConfigurationProperties("tally.consumer")
public record ConsumerProperties(@DefaultValue("true") boolean enabled, @DefaultValue("1") int concurrency,
        @DefaultValue("10") int prefetch, @DefaultValue("0") int maxAttempts,
        @DefaultValue List<Class<? extends Throwable>> nonRetryable, @DefaultValue("10s") Duration confirmTimeout,
        @DefaultValue("14d") Duration inboxRetention, @DefaultValue("1h") Duration purgeInterval,
        @DefaultValue("aggregateId") String aggregateLogKey) {

    public ConsumerProperties {
        if (concurrency < 1 || prefetch < 1 || maxAttempts < 0) {
            throw new IllegalArgumentException("tally.consumer: concurrency and prefetch must be at least 1, max-attempts at least 0");
        }
        nonRetryable = List.copyOf(nonRetryable);
        if (aggregateLogKey.isBlank()) {
            throw new IllegalArgumentException("tally.consumer.aggregate-log-key must not be blank");
        }
    }
}
