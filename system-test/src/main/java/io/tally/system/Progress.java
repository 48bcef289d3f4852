package io.tally.system;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A progress line at a steady pace while a long run works, instead of minutes of silence: the run's phase, the time
 * since it started, and what the run's own line says (orders done, rate, backlog, faults so far). A line that
 * cannot be composed (a database being restarted, say) says so and the next one is tried on time.
 */
public final class Progress implements AutoCloseable {

    private final String name;

    private final Supplier<String> line;

    private final PrintStream out;

    private final Instant started = Instant.now();

    private final ScheduledExecutorService timer;

    private volatile String phase = "starting";

    /**
     * Prints {@code line} every {@code every} on {@code out} until closed; {@link Duration#ZERO} prints nothing.
     */
    public Progress(String name, Duration every, PrintStream out, Supplier<String> line) {
        this.name = name;
        this.line = line;
        this.out = out;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name(name + "-progress").daemon(true).factory());
        if (!every.isZero() && !every.isNegative()) {
            this.timer.scheduleAtFixedRate(this::print, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The phase named in the following lines. */
    public void phase(String phase) {
        this.phase = phase;
    }

    /** Prints a line now (at a phase's end, say). */
    public void print() {
        String text;
        try {
            text = this.line.get();
        }
        catch (RuntimeException ex) {
            text = "(no reading: " + ex.getMessage() + ")";
        }
        this.out.printf("[%s %s +%s] %s%n", this.name, this.phase, elapsed(Duration.between(this.started, Instant.now())),
                text);
        this.out.flush();
    }

    /** A pace as written in an option: {@code 500ms}, {@code 10s}, {@code 1m}; {@code 0} for no lines. */
    public static Duration every(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*(ms|s|m)?").matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("Not a pace: '" + text + "' (500ms, 10s, 1m or 0)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** Work done per second between two readings. */
    public static double rate(long before, long now, Duration between) {
        return between.isZero() ? 0 : (now - before) * 1000.0 / between.toMillis();
    }

    static String elapsed(Duration duration) {
        long s = duration.toSeconds();
        return s >= 3600 ? String.format("%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }

    @Override
    public void close() {
        this.timer.shutdownNow();
    }
}
