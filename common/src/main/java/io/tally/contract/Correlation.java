package io.tally.contract;

import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * The correlation id of the work under way on this thread. The consumer chain sets it from the message it
 * handles, so events published by a handler carry the same correlation id.
 */
public final class Correlation {

    private static final ThreadLocal<String> current = new ThreadLocal<>();

    private Correlation() {
    }

    /** The current correlation id, or {@code null} when none is set. */
    public static @Nullable String current() {
        return current.get();
    }

    /** Runs {@code work} with the given correlation id, restoring the previous one afterwards. */
    public static <T> T with(@Nullable String correlationId, Supplier<T> work) {
        String previous = current.get();
        current.set(correlationId);
        try {
            return work.get();
        }
        finally {
            if (previous == null) {
                current.remove();
            }
            else {
                current.set(previous);
            }
        }
    }
}
