package io.tally.deadletter;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The compensation consumer.
 *
 * @param enabled whether this instance reads the dead-letter queues and re-drives
 * @param redriveDelays the waits before the first, second, ... re-drive of a transient dead letter; the
 * last one repeats until {@code max-redrives}
 * @param maxRedrives how often a transient dead letter is re-driven before it is parked
 * @param pollInterval how often due re-drives are looked for
 * @param storeRetryDelay how long the consumer first waits before it tries again to store a dead letter it
 * could not store (the database is down or refuses): it keeps the message meanwhile, and never hands it back to
 * the broker, whose delivery limit would drop it
 * @param storeRetryMaxDelay the longest wait between two tries (the wait doubles from {@code store-retry-delay})
 * @param retention how long a closed dead letter (REDRIVEN, REPLAYED or DISCARDED) is kept after its last change
 * @param actionRetention how long the operators' and the compensation consumer's actions are kept (longer: the
 * audit trail outlives what it is about)
 * @param purgeInterval how often closed dead letters and old actions past their retention are purged
 */
@ConfigurationProperties("tally.dead-letters")
public record DeadLetterProperties(@DefaultValue("true") boolean enabled,
        @DefaultValue({ "1m", "5m", "15m", "1h" }) List<Duration> redriveDelays, @DefaultValue("10") int maxRedrives,
        @DefaultValue("5s") Duration pollInterval, @DefaultValue("1s") Duration storeRetryDelay,
        @DefaultValue("30s") Duration storeRetryMaxDelay, @DefaultValue("30d") Duration retention,
        @DefaultValue("365d") Duration actionRetention, @DefaultValue("1h") Duration purgeInterval) {

    public DeadLetterProperties {
        if (redriveDelays.isEmpty()) {
            throw new IllegalArgumentException("tally.dead-letters.redrive-delays must list at least one delay");
        }
        redriveDelays = List.copyOf(redriveDelays);
    }

    /** The wait before re-drive number {@code n} (1-based). */
    Duration redriveDelay(int n) {
        return this.redriveDelays.get(Math.min(Math.max(n, 1), this.redriveDelays.size()) - 1);
    }
}
