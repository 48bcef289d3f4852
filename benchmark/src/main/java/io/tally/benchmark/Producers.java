package io.tally.benchmark;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/** The producer threads of a sustained phase, and the bounded waits the phases share. */
final class Producers {

    private Producers() {
    }

    /** One producer's commit: the business row and its event, for this aggregate, in one transaction. */
    @FunctionalInterface
    interface Commit {

        void run(int producer, String aggregate);
    }

    /**
     * What a phase measured: commits made, seconds taken, and the backlog sampled once a second.
     */
    record Run(long commits, double seconds, List<Long> backlog) {

        double rate() {
            return this.commits / this.seconds;
        }
    }

    /**
     * Runs {@code producers} threads for {@code seconds}, each committing with {@code commit}, together at
     * {@code targetRate} commits/s (0: as fast as they can), and samples {@code backlog} once a second.
     * @param prefix the first letters of the aggregates the run writes
     */
    static Run run(int producers, int seconds, double targetRate, String prefix, Commit commit, LongSupplier backlog)
            throws InterruptedException {
        AtomicLong commits = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch done = new CountDownLatch(producers);
        long start = System.nanoTime();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            Thread.ofPlatform().start(() -> {
                long interval = targetRate > 0 ? (long) (1e9 * producers / targetRate) : 0;
                long next = System.nanoTime();
                int n = 0;
                try {
                    while (running.get()) {
                        if (interval > 0) {
                            next += interval;
                            long wait = next - System.nanoTime();
                            if (wait > 0) {
                                LockSupport.parkNanos(wait); // the arrival schedule itself
                            }
                        }
                        commit.run(producer, prefix + "-" + producer + "-" + (n++) + "-" + (targetRate > 0 ? "h" : "f"));
                        commits.incrementAndGet();
                    }
                }
                finally {
                    done.countDown();
                }
            });
        }
        List<Long> samples = new ArrayList<>();
        long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1)); // the sampling period, not a synchronisation
            samples.add(backlog.getAsLong());
        }
        running.set(false);
        done.await();
        return new Run(commits.get(), LatencyRecorder.since(start).toNanos() / 1e9, samples);
    }

    /** Waits until {@code value} reaches {@code target}; fails after ten minutes instead of hanging. */
    static void awaitAtLeast(LongSupplier value, long target, String what) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (value.getAsLong() < target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Only " + value.getAsLong() + " of " + target + " " + what
                        + " after 10 minutes");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** Waits until {@code value} falls to {@code target}; fails after ten minutes instead of hanging. */
    static void awaitAtMost(LongSupplier value, long target, String what) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (value.getAsLong() > target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Still " + value.getAsLong() + " before " + what + " after 10 minutes");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }
}
