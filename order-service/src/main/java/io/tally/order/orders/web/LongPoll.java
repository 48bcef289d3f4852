package io.tally.order.orders.web;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/** The request headers of a long poll: {@code If-None-Match} (RFC 9110) and {@code Prefer: wait} (RFC 7240). */
final class LongPoll {

    /** More digits than this is not a wait anyone means; such a preference is ignored, as RFC 7240 asks. */
    private static final int MAX_DIGITS = 9;

    private LongPoll() {
    }

    /** Whether the entity tags of an {@code If-None-Match} name this one (weak comparison, or {@code *}). */
    static boolean matches(@Nullable String ifNoneMatch, String tag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String listed : ifNoneMatch.split(",")) {
            String candidate = listed.strip();
            if (candidate.equals("*")) {
                return true;
            }
            if (candidate.startsWith("W/")) {
                candidate = candidate.substring(2);
            }
            if (candidate.equals(tag)) {
                return true;
            }
        }
        return false;
    }

    /** The {@code wait} preference, in seconds; empty when absent or not a number of seconds. */
    static Optional<Duration> wait(String prefer) {
        for (String preference : prefer.split(",")) {
            String token = preference.strip();
            int parameters = token.indexOf(';');
            if (parameters >= 0) {
                token = token.substring(0, parameters).strip();
            }
            int equals = token.indexOf('=');
            if (equals < 0 || !token.substring(0, equals).strip().toLowerCase(Locale.ROOT).equals("wait")) {
                continue;
            }
            String value = token.substring(equals + 1).strip();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            if (value.isEmpty() || value.length() > MAX_DIGITS || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofSeconds(Long.parseLong(value)));
        }
        return Optional.empty();
    }
}
