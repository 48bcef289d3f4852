package io.tally.outbox;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Keeps the outbox small and visible: purges SENT rows past their retention in batches, reads the backlog
 * for the gauges and the health indicator, and counts what the relay does. The purge and the reading run as
 * {@link io.tally.maintenance.PeriodicTask}s.
 * <p>
 * Metrics: {@code tally.outbox.rows{status}}, {@code tally.outbox.oldest.pending.age} (seconds),
 * {@code tally.outbox.commit.to.confirm} (a timer with a histogram), {@code tally.outbox.published},
 * {@code tally.outbox.publish.failures{dead}} and {@code tally.outbox.purged}.
 */
public final class OutboxMonitor extends AbstractHealthIndicator implements OutboxListener {

    /** A health status between UP and DOWN: the service works, but its outbox needs attention. */
    static final Status DEGRADED = new Status("DEGRADED", "The outbox has DEAD rows or an old backlog");

    private static final Logger log = LoggerFactory.getLogger(OutboxMonitor.class);

    private static final List<String> STATUSES = List.of("PENDING", "DEAD", "DISCARDED");

    private final OutboxStore store;

    private final OutboxProperties properties;

    private final Clock clock;

    private final Map<String, AtomicLong> rows = Map.of("PENDING", new AtomicLong(), "SENT", new AtomicLong(),
            "DEAD", new AtomicLong(), "DISCARDED", new AtomicLong());

    private final AtomicLong oldestPendingMillis = new AtomicLong();

    private final Timer commitToConfirm;

    private final Counter published;

    private final Counter failed;

    private final Counter dead;

    private final Counter purged;

    private volatile Instant lastRead;

    OutboxMonitor(OutboxStore store, OutboxProperties properties, Clock clock, MeterRegistry registry) {
        super("Outbox check failed");
        this.store = store;
        this.properties = properties;
        this.clock = clock;
        for (String status : STATUSES) {
            Gauge.builder("tally.outbox.rows", this.rows.get(status), AtomicLong::get)
                .tag("status", status)
                .description("Rows in the outbox table by status (PENDING, DEAD, DISCARDED), counted up to metrics-count-cap")
                .register(registry);
        }
        Gauge.builder("tally.outbox.oldest.pending.age", this.oldestPendingMillis, v -> v.get() / 1000.0)
            .baseUnit("seconds")
            .description("Age of the oldest PENDING outbox row")
            .register(registry);
        this.commitToConfirm = Timer.builder("tally.outbox.commit.to.confirm")
            .description("From the outbox row's commit to its publisher confirm")
            .publishPercentileHistogram()
            .register(registry);
        this.published = Counter.builder("tally.outbox.published").description("Rows published and confirmed").register(registry);
        this.failed = Counter.builder("tally.outbox.publish.failures").tag("dead", "false")
            .description("Failed publications").register(registry);
        this.dead = Counter.builder("tally.outbox.publish.failures").tag("dead", "true")
            .description("Failed publications").register(registry);
        this.purged = Counter.builder("tally.outbox.purged").description("SENT rows purged").register(registry);
    }

    @Override
    public void sent(List<OutboxRecord> records) {
        Instant now = this.clock.instant();
        for (OutboxRecord record : records) {
            this.commitToConfirm.record(Duration.between(record.createdAt(), now).abs());
        }
        this.published.increment(records.size());
    }

    @Override
    public void failed(OutboxRecord record, String reason, boolean isDead) {
        (isDead ? this.dead : this.failed).increment();
        if (isDead) {
            log.error("Outbox row {} ({} of {}) is DEAD after {} attempts: {}", record.id(), record.eventType(),
                    record.aggregateId(), this.properties.maxAttempts(), reason);
        }
    }

    /**
     * Reads the backlog now: PENDING, DEAD and DISCARDED rows (each counted up to {@code metrics-count-cap}) and the
     * age of the oldest PENDING row. Each read is an index range, whatever the size of the table.
     */
    public void refresh() {
        Map<String, OutboxStore.Backlog> backlog = this.store.backlog(this.properties.metricsCountCap());
        for (String status : STATUSES) {
            OutboxStore.Backlog b = backlog.get(status);
            this.rows.get(status).set(b != null ? b.rows() : 0);
        }
        OutboxStore.Backlog pending = backlog.get("PENDING");
        this.oldestPendingMillis.set(pending != null && pending.oldest() != null
                ? Math.max(0, Duration.between(pending.oldest(), this.clock.instant()).toMillis()) : 0);
        this.lastRead = this.clock.instant();
    }

    /**
     * Purges SENT rows past {@code purge-retention} and DISCARDED rows past {@code discarded-retention}, one bounded
     * batch (its own short transaction) after another.
     * @return how many rows were deleted
     */
    public int purge() {
        Instant now = this.clock.instant();
        int total = 0;
        int deleted;
        do {
            deleted = this.store.purge(now.minus(this.properties.purgeRetention()), this.properties.purgeBatchSize());
            total += deleted;
        }
        while (deleted == this.properties.purgeBatchSize());
        do {
            deleted = this.store.purgeDiscarded(now.minus(this.properties.discardedRetention()), this.properties.purgeBatchSize());
            total += deleted;
        }
        while (deleted == this.properties.purgeBatchSize());
        this.purged.increment(total);
        return total;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        if (this.lastRead == null) {
            refresh();
        }
        long deadRows = this.rows.get("DEAD").get();
        long pendingAge = this.oldestPendingMillis.get();
        builder.withDetail("pending", this.rows.get("PENDING").get())
            .withDetail("dead", deadRows)
            .withDetail("oldestPendingAgeSeconds", pendingAge / 1000)
            .withDetail("readAt", String.valueOf(this.lastRead));
        if (deadRows > 0 || pendingAge > this.properties.healthMaxPendingAge().toMillis()) {
            builder.status(DEGRADED);
        }
        else {
            builder.up();
        }
    }
}
