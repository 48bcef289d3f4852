package io.tally.outbox;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The outbox relay.
 *
 * @param enabled whether this instance runs the relay (the outbox API works either way)
 * @param workers how many relay threads this instance runs; each claims and publishes its own batches
 * @param batchSize the most rows one claim takes
 * @param pollInterval how long an idle relay waits before looking again; commits wake it at once, so
 * this only bounds how late a missed wake-up (another instance's commit, a crash) is noticed
 * @param lease how long a claim stays ours; a row whose lease expired is taken over by any relay, so it
 * must be far above the confirm timeout and the clock skew between instances
 * @param confirmTimeout how long a batch waits for all its publisher confirms
 * @param maxAttempts after this many failed publications a row becomes DEAD
 * @param backoffInitial the delay after the first failed publication
 * @param backoffMultiplier the factor between successive delays
 * @param backoffMax the longest delay between two publications of a row
 * @param backoffJitter the random spread added to or taken from each delay
 * @param purgeRetention how long SENT rows are kept before they are purged
 * @param purgeInterval how often SENT rows past their retention are purged
 * @param purgeBatchSize the most rows one purge statement deletes
 * @param metricsInterval how often the backlog gauges and the health indicator read the table
 * @param healthMaxPendingAge the age of the oldest PENDING row above which health reports DEGRADED
 * @param brokerProbeInterval while the broker cannot be reached, how often the relay tries again (it claims
 * nothing meanwhile, and no row is charged for the outage)
 * @param maxMessageSize the largest payload the relay sends; a larger row is DEAD at once (RabbitMQ 4.0 and
 * later refuse messages above 16 MiB by default, closing the channel)
 * @param discardedRetention how long DISCARDED rows are kept before they are purged (the operator's action stays in
 * the dead-letter audit trail)
 * @param metricsCountCap the most rows of one status the gauges count (a gauge reading this value means "at least"):
 * each count is an index range of at most this many entries, whatever the size of the table
 */
@ConfigurationProperties("tally.outbox")
public record OutboxProperties(@DefaultValue("true") boolean enabled, @DefaultValue("2") int workers,
        @DefaultValue("200") int batchSize, @DefaultValue("500ms") Duration pollInterval,
        @DefaultValue("60s") Duration lease, @DefaultValue("10s") Duration confirmTimeout,
        @DefaultValue("12") int maxAttempts, @DefaultValue("1s") Duration backoffInitial,
        @DefaultValue("2.0") double backoffMultiplier, @DefaultValue("5m") Duration backoffMax,
        @DefaultValue("250ms") Duration backoffJitter, @DefaultValue("1h") Duration purgeRetention,
        @DefaultValue("30s") Duration purgeInterval, @DefaultValue("1000") int purgeBatchSize,
        @DefaultValue("10s") Duration metricsInterval, @DefaultValue("60s") Duration healthMaxPendingAge,
        @DefaultValue("1s") Duration brokerProbeInterval,
        @DefaultValue("16MB") org.springframework.util.unit.DataSize maxMessageSize,
        @DefaultValue("30d") Duration discardedRetention, @DefaultValue("1000") int metricsCountCap) {

    public OutboxProperties {
        if (workers < 1 || batchSize < 1 || maxAttempts < 1 || purgeBatchSize < 1) {
            throw new IllegalArgumentException("tally.outbox: workers, batch-size, max-attempts and purge-batch-size must be at least 1");
        }
        if (lease.compareTo(confirmTimeout.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("tally.outbox.lease (" + lease + ") must be at least twice the confirm-timeout ("
                    + confirmTimeout + "), or a slow batch loses its lease and is published twice");
        }
    }
}
