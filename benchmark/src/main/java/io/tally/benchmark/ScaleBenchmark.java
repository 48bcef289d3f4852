package io.tally.benchmark;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.jdbc.SqlTime;
import io.tally.outbox.MessageIds;
import io.tally.outbox.Outbox;
import io.tally.outbox.OutboxListener;
import io.tally.outbox.OutboxMonitor;
import io.tally.outbox.OutboxRecord;
import io.tally.outbox.OutboxRelay;
import io.tally.topology.Topology;

/**
 * Whether the outbox stays flat as its table grows. At each size (empty, then filled to each step) it measures:
 * <ul>
 * <li><b>claim</b>: the relay's claim of a batch of 50 due rows among the others, p50/p99;</li>
 * <li><b>insert during purge</b>: business transactions (a business row and an outbox row) committed by four
 * producers while a purge deletes 50,000 rows past their retention, p99;</li>
 * <li><b>purge</b>: rows deleted per second by that purge;</li>
 * <li><b>gauges</b>: the monitor's refresh (backlog counts and the oldest PENDING age), p50.</li>
 * </ul>
 * The rows filled are, per thousand: 950 SENT within the retention (sent in the last three days), 40 PENDING in
 * backoff (due in a day) and 10 DEAD, of aggregates of their own, with message ids made as the library makes them.
 * The rows each purge deletes ({@code scale-purge-rows}, 50,000 (SENT eight days ago, past the week of retention)) are written first at each
 * step, before the rest of its rows, as the oldest rows of a real table are the ones written first: by the time
 * they are purged the rest of the table has been written after them and they are no longer in the buffer pool.
 * (At 0 rows they are written just before the purge, which favours the figures at 0.)
 */
final class ScaleBenchmark {

    private final int purgeable;

    private static final String INSERT = "INSERT INTO tally_outbox (message_id, aggregate_id, exchange_name, routing_key,"
            + " event_type, schema_version, correlation_id, payload, status, attempts, next_attempt_at, created_at, sent_at)"
            + " VALUES (?, ?, ?, 'bench.happened', 'bench.happened', 1, ?, ?, ?, ?, ?, ?, ?)";

    private final ConfigurableApplicationContext context;

    private final Consumer<String> print;

    private final JdbcTemplate jdbc;

    private final TransactionTemplate transaction;

    private final String exchange;

    private final byte[] payload;

    private final MessageIds messageIds = new MessageIds(java.time.Clock.systemUTC());

    private long filled;

    /** @param purgeable how many rows past their retention each purge measurement deletes */
    ScaleBenchmark(ConfigurableApplicationContext context, Consumer<String> print, int purgeable) {
        this.purgeable = purgeable;
        this.context = context;
        this.print = print;
        this.jdbc = context.getBean(JdbcTemplate.class);
        this.transaction = context.getBean(TransactionTemplate.class);
        this.exchange = context.getBean(Topology.class).exchange("bench.events");
        this.payload = ("{\"orderNo\":\"O123456789\",\"userId\":\"u-1\",\"amount\":12345,\"currency\":\"CNY\","
                + "\"note\":\"a payload of the size of the services' events\"}").getBytes();
    }

    /** Measures at 0 rows and at each of the sizes, in order; prints a line per size and the ratios to 0. */
    void run(List<Long> sizes) {
        // only the claims this benchmark makes are timed: the relay's own workers stay still
        this.context.getBean(OutboxRelay.class).stop();
        List<long[]> figures = new ArrayList<>();
        List<Long> at = new ArrayList<>();
        at.add(0L);
        insertPurgeable(this.purgeable);
        figures.add(measure(0));
        for (long size : sizes) {
            long start = System.nanoTime();
            insertPurgeable(this.purgeable);
            fill(size);
            this.print.accept(String.format(Locale.ROOT, "scale: filled to %,d rows in %.0f s", size,
                    (System.nanoTime() - start) / 1e9));
            at.add(size);
            figures.add(measure(size));
        }
        this.print.accept("scale summary (microseconds, rows/s); each figure at the largest size against its figure at 0:");
        this.print.accept(String.format(Locale.ROOT, "  %12s %12s %12s %16s %14s %14s", "rows", "claim p50", "claim p99",
                "insert p99 (purge)", "purge rows/s", "gauges p50"));
        for (int i = 0; i < at.size(); i++) {
            long[] f = figures.get(i);
            this.print.accept(String.format(Locale.ROOT, "  %,12d %,12d %,12d %,16d %,14d %,14d", at.get(i), f[0], f[1], f[2],
                    f[3], f[4]));
        }
        long[] first = figures.get(0);
        long[] last = figures.get(figures.size() - 1);
        this.print.accept(String.format(Locale.ROOT,
                "  ratio largest/0: claim p50 %.2f, claim p99 %.2f, insert p99 %.2f, purge rows/s %.2f (higher is better), "
                        + "gauges %.2f (target: each within 1.5, purge at least 0.67)",
                ratio(last[0], first[0]), ratio(last[1], first[1]), ratio(last[2], first[2]), ratio(last[3], first[3]),
                ratio(last[4], first[4])));
    }

    private static double ratio(long value, long base) {
        return base == 0 ? Double.NaN : (double) value / base;
    }

    /** {claim p50, claim p99, insert p99 during purge, purge rows/s, gauge refresh p50}. */
    private long[] measure(long size) {
        long[] claim = claims();
        long[] purge = purgeWithInserts();
        long gauges = gauges();
        this.print.accept(String.format(Locale.ROOT, "scale at %,d rows: claim p50 %,d us p99 %,d us; insert p99 %,d us "
                + "during a purge of %,d rows/s; gauge refresh p50 %,d us", size, claim[0], claim[1], purge[0], purge[1],
                gauges));
        return new long[] { claim[0], claim[1], purge[0], purge[1], gauges };
    }

    /** Claims of 50 due rows among the table, timed from the relay's call to its claimed callback. */
    private long[] claims() {
        OutboxRelay relay = this.context.getBean(OutboxRelay.class);
        Histogram histogram = new Histogram(3);
        for (int round = -20; round < 200; round++) { // 20 rounds of warm-up, not recorded; 200 for a p99 of some meaning
            boolean recorded = round >= 0;
            insert(50, "PENDING", null, false);
            long[] started = new long[1];
            BenchListener.hook = new OutboxListener() {
                @Override
                public void claimed(List<OutboxRecord> records) {
                    if (recorded) {
                        histogram.recordValue((System.nanoTime() - started[0]) / 1000);
                    }
                }
            };
            started[0] = System.nanoTime();
            while (relay.relayOnce() > 0) {
                started[0] = System.nanoTime();
            }
            BenchListener.hook = null;
        }
        return new long[] { histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(99) };
    }

    /** Four producers commit business transactions while the monitor purges; answers {insert p99 us, purged rows/s}. */
    private long[] purgeWithInserts() {
        Outbox outbox = this.context.getBean(Outbox.class);
        OutboxMonitor monitor = this.context.getBean(OutboxMonitor.class);
        Recorder latencies = new Recorder(3);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong commits = new AtomicLong();
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            int producer = p;
            producers.add(Thread.ofPlatform().start(() -> {
                int n = 0;
                while (running.get()) {
                    String order = "scale-" + producer + "-" + (n++);
                    long start = System.nanoTime();
                    this.transaction.executeWithoutResult(status -> {
                        this.jdbc.update("INSERT INTO bench_business (aggregate_id, amount) VALUES (?, ?)", order, 12_345);
                        outbox.publish(order, new BenchEvent(order, "u", 12_345, "CNY", "scale"));
                    });
                    latencies.recordValue((System.nanoTime() - start) / 1000);
                    commits.incrementAndGet();
                }
            }));
        }
        latencies.getIntervalHistogram(); // from here on
        long start = System.nanoTime();
        int purged = monitor.purge();
        this.filled -= purged;
        double seconds = (System.nanoTime() - start) / 1e9;
        Histogram during = latencies.getIntervalHistogram();
        running.set(false);
        producers.forEach(t -> {
            try {
                t.join();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        // the producers' rows are of no further use: as if published
        this.jdbc.update("UPDATE tally_outbox SET status = 'SENT', sent_at = ? WHERE open_aggregate LIKE 'scale-%' AND status = 'PENDING'",
                SqlTime.of(Instant.now()));
        return new long[] { during.getValueAtPercentile(99), (long) (purged / Math.max(seconds, 1e-6)) };
    }

    private long gauges() {
        OutboxMonitor monitor = this.context.getBean(OutboxMonitor.class);
        Histogram histogram = new Histogram(3);
        for (int i = 0; i < 20; i++) {
            long start = System.nanoTime();
            monitor.refresh();
            histogram.recordValue((System.nanoTime() - start) / 1000);
        }
        return histogram.getValueAtPercentile(50);
    }

    private void insertPurgeable(int rows) {
        for (int done = 0; done < rows; done += 5000) {
            insert(Math.min(5000, rows - done), "SENT", Instant.now().minus(Duration.ofDays(8)), false);
        }
        this.filled += rows;
    }

    /** Fills the table up to {@code size} rows, in the proportions above. */
    private void fill(long size) {
        while (this.filled < size) {
            int chunk = (int) Math.min(10_000, size - this.filled);
            int backoff = chunk * 40 / 1000;
            int dead = chunk * 10 / 1000;
            insert(chunk - backoff - dead, "SENT", null, true);
            insert(backoff, "PENDING", Instant.now().plus(Duration.ofDays(1)), false);
            insert(dead, "DEAD", null, false);
            this.filled += chunk;
        }
    }

    /**
     * Inserts rows of a status: SENT ones sent at {@code time} (or within the last three days when {@code null});
     * PENDING ones due at {@code time} (or now), each of an aggregate of its own.
     */
    private void insert(int rows, String status, Instant time, boolean recentSent) {
        if (rows <= 0) {
            return;
        }
        Instant now = Instant.now();
        List<Object[]> args = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            String id = this.messageIds.next();
            Instant sentAt = status.equals("SENT")
                    ? (recentSent || time == null ? now.minusSeconds(ThreadLocalRandom.current().nextInt(3 * 86_400)) : time)
                    : null;
            Instant next = status.equals("PENDING") && time != null ? time : now;
            args.add(new Object[] { id, "agg-" + UUID.randomUUID(), this.exchange, id, this.payload, status,
                    status.equals("PENDING") && time != null ? 3 : 0, SqlTime.of(next),
                    SqlTime.of(sentAt != null ? sentAt : now), SqlTime.of(sentAt) });
        }
        this.transaction.executeWithoutResult(s -> this.jdbc.batchUpdate(INSERT, args));
    }

    /** Forwards the relay's callbacks to the hook a measurement sets. */
    static final class BenchListener implements OutboxListener {

        static volatile OutboxListener hook;

        @Override
        public void claimed(List<OutboxRecord> records) {
            OutboxListener current = hook;
            if (current != null) {
                current.claimed(records);
            }
        }
    }
}
