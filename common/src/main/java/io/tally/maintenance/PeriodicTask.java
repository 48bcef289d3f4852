package io.tally.maintenance;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;

/**
 * Runs a task on a thread of its own with a fixed delay between runs, from the context's start to its stop.
 * A run that fails is logged and the next run tries again: these tasks (purges, re-drives, gauges) are
 * idempotent, and a deadlock or a lost connection passes.
 */
public final class PeriodicTask implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(PeriodicTask.class);

    private final String name;

    private final Duration initialDelay;

    private final Duration delay;

    private final Runnable task;

    private final boolean autoStartup;

    private volatile ScheduledExecutorService scheduler;

    /**
     * @param name the thread's name, also used in log lines
     * @param initialDelay the wait before the first run
     * @param delay the wait between the end of a run and the start of the next
     * @param task the work
     * @param autoStartup whether it starts with the context
     */
    public PeriodicTask(String name, Duration initialDelay, Duration delay, Runnable task, boolean autoStartup) {
        this.name = name;
        this.initialDelay = initialDelay;
        this.delay = delay;
        this.task = task;
        this.autoStartup = autoStartup;
    }

    @Override
    public synchronized void start() {
        if (this.scheduler != null) {
            return;
        }
        ScheduledExecutorService executor = Executors
            .newSingleThreadScheduledExecutor(Thread.ofPlatform().name(this.name).daemon(true).factory());
        executor.scheduleWithFixedDelay(this::runOnce, this.initialDelay.toMillis(), this.delay.toMillis(),
                TimeUnit.MILLISECONDS);
        this.scheduler = executor;
    }

    /** Runs the task once more as soon as the current run (if any) ends; does nothing when stopped. */
    public void wakeUp() {
        ScheduledExecutorService executor = this.scheduler;
        if (executor != null) {
            try {
                executor.execute(this::runOnce);
            }
            catch (java.util.concurrent.RejectedExecutionException stopping) {
                // stopped meanwhile: the next start runs it
            }
        }
    }

    private void runOnce() {
        try {
            this.task.run();
        }
        catch (RuntimeException ex) {
            log.warn("{} failed; trying again in {}: {}", this.name, this.delay, ex.toString());
        }
    }

    @Override
    public synchronized void stop() {
        ScheduledExecutorService executor = this.scheduler;
        if (executor != null) {
            executor.shutdownNow();
            this.scheduler = null;
        }
    }

    @Override
    public boolean isRunning() {
        return this.scheduler != null;
    }

    @Override
    public boolean isAutoStartup() {
        return this.autoStartup;
    }
}
