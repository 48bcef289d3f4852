package io.tally.benchmark;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import io.tally.outbox.OutboxListener;
import io.tally.outbox.OutboxRecord;

/** Counts rows marked SENT and records commit-to-confirm latency in microseconds. */
final class LatencyRecorder implements OutboxListener {

    final AtomicLong sent = new AtomicLong();

    private final Recorder recorder = new Recorder(3);

    /** The latency ends at the confirm (the rows are then marked SENT), as the peer's does. */
    @Override
    public void beforeFinish(List<OutboxRecord> confirmed) {
        long now = micros(Instant.now());
        for (OutboxRecord record : confirmed) {
            this.recorder.recordValue(Math.max(0, now - micros(record.createdAt())));
        }
    }

    @Override
    public void sent(List<OutboxRecord> records) {
        this.sent.addAndGet(records.size());
    }

    /** Latencies recorded since the last call. */
    Histogram interval() {
        return this.recorder.getIntervalHistogram();
    }

    private static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1000;
    }

    static String describe(Histogram h) {
        return String.format("p50 %s, p99 %s, max %s (%d rows)", ms(h.getValueAtPercentile(50)),
                ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()), h.getTotalCount());
    }

    static String ms(long micros) {
        return String.format("%.1f ms", micros / 1000.0);
    }

    static Duration since(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos);
    }
}
