package io.tally.gateway;

import org.jspecify.annotations.Nullable;

import org.springframework.stereotype.Component;

/**
 * The faults the channel injects. Counts ({@code n}) apply to the next {@code n} occurrences; flags hold until
 * the faults are cleared.
 */
@Component
class Faults {

    private Settings settings = Settings.NONE;

    /**
     * The settings of {@code POST /gateway/faults}; absent fields leave the current value.
     *
     * @param duplicateCallbacks the next n paid trades call back {@code duplicateCopies} times at once
     * @param duplicateCopies how many copies a duplicated callback is sent as (default 5)
     * @param dropCallbacks the next n paid trades never call back
     * @param callbackDelayMs delay before the first send of every callback
     * @param reorderCallbacks the next n callbacks are held and then sent in reverse order
     * @param tamperAmount callbacks carry an amount one minor unit above the captured one (still signed)
     * @param captureWithoutCallback trades are captured without any callback
     * @param failQueries the next n queries answer 503
     * @param failCloses the next n closes answer 503
     * @param failRefunds the next n refunds answer 503
     * @param slowCallsMs queries, closes and refunds answer only after this delay
     * @param tamperCallbacks the callbacks of the next n paid trades carry a tampered amount (as {@code tamperAmount})
     * @param captureAfterClose a closed (not expired) trade can still be paid, as when a user's payment was in
     * flight at the channel when the merchant closed the trade
     */
    record Settings(@Nullable Integer duplicateCallbacks, @Nullable Integer duplicateCopies,
            @Nullable Integer dropCallbacks, @Nullable Long callbackDelayMs, @Nullable Integer reorderCallbacks,
            @Nullable Boolean tamperAmount, @Nullable Boolean captureWithoutCallback, @Nullable Integer failQueries,
            @Nullable Integer failCloses, @Nullable Integer failRefunds, @Nullable Long slowCallsMs, @Nullable Boolean captureAfterClose, @Nullable Integer tamperCallbacks) {

        static final Settings NONE = new Settings(0, 5, 0, 0L, 0, false, false, 0, 0, 0, 0L, false, 0);

        Settings merge(Settings update) {
            return new Settings(or(update.duplicateCallbacks, this.duplicateCallbacks),
                    or(update.duplicateCopies, this.duplicateCopies), or(update.dropCallbacks, this.dropCallbacks),
                    or(update.callbackDelayMs, this.callbackDelayMs), or(update.reorderCallbacks, this.reorderCallbacks),
                    or(update.tamperAmount, this.tamperAmount),
                    or(update.captureWithoutCallback, this.captureWithoutCallback),
                    or(update.failQueries, this.failQueries), or(update.failCloses, this.failCloses),
                    or(update.failRefunds, this.failRefunds), or(update.slowCallsMs, this.slowCallsMs),
                    or(update.captureAfterClose, this.captureAfterClose),
                    or(update.tamperCallbacks, this.tamperCallbacks));
        }

        private static <T> @Nullable T or(@Nullable T value, @Nullable T fallback) {
            return value != null ? value : fallback;
        }
    }

    /** How a paid trade calls back, decided once when it is paid. */
    record CallbackPlan(boolean send, int copies, long delayMs, boolean tamper, boolean reorder, boolean releaseHeld) {
    }

    synchronized Settings current() {
        return this.settings;
    }

    synchronized Settings set(Settings update) {
        this.settings = this.settings.merge(update);
        return this.settings;
    }

    synchronized void clear() {
        this.settings = Settings.NONE;
    }

    synchronized boolean captureAfterClose() {
        return Boolean.TRUE.equals(this.settings.captureAfterClose());
    }

    synchronized CallbackPlan planCallback(@Nullable Long delayOverrideMs) {
        Settings s = this.settings;
        boolean send = !Boolean.TRUE.equals(s.captureWithoutCallback());
        if (send && s.dropCallbacks() > 0) {
            send = false;
            this.settings = new Settings(s.duplicateCallbacks(), s.duplicateCopies(), s.dropCallbacks() - 1,
                    s.callbackDelayMs(), s.reorderCallbacks(), s.tamperAmount(), s.captureWithoutCallback(),
                    s.failQueries(), s.failCloses(), s.failRefunds(), s.slowCallsMs(), s.captureAfterClose(), s.tamperCallbacks());
            s = this.settings;
        }
        int copies = 1;
        if (send && s.duplicateCallbacks() > 0) {
            copies = Math.max(1, s.duplicateCopies());
            this.settings = new Settings(s.duplicateCallbacks() - 1, s.duplicateCopies(), s.dropCallbacks(),
                    s.callbackDelayMs(), s.reorderCallbacks(), s.tamperAmount(), s.captureWithoutCallback(),
                    s.failQueries(), s.failCloses(), s.failRefunds(), s.slowCallsMs(), s.captureAfterClose(), s.tamperCallbacks());
            s = this.settings;
        }
        boolean reorder = false;
        boolean release = false;
        if (send && s.reorderCallbacks() > 0) {
            reorder = true;
            this.settings = new Settings(s.duplicateCallbacks(), s.duplicateCopies(), s.dropCallbacks(),
                    s.callbackDelayMs(), s.reorderCallbacks() - 1, s.tamperAmount(), s.captureWithoutCallback(),
                    s.failQueries(), s.failCloses(), s.failRefunds(), s.slowCallsMs(), s.captureAfterClose(), s.tamperCallbacks());
            s = this.settings;
            release = s.reorderCallbacks() == 0;
        }
        boolean tamper = Boolean.TRUE.equals(s.tamperAmount());
        if (send && !tamper && s.tamperCallbacks() > 0) {
            tamper = true;
            this.settings = new Settings(s.duplicateCallbacks(), s.duplicateCopies(), s.dropCallbacks(),
                    s.callbackDelayMs(), s.reorderCallbacks(), s.tamperAmount(), s.captureWithoutCallback(),
                    s.failQueries(), s.failCloses(), s.failRefunds(), s.slowCallsMs(), s.captureAfterClose(),
                    s.tamperCallbacks() - 1);
            s = this.settings;
        }
        long delay = delayOverrideMs != null ? delayOverrideMs : s.callbackDelayMs();
        return new CallbackPlan(send, copies, delay, tamper, reorder, release);
    }

    /** Whether this call of the given kind fails (consuming one of its count), after the configured slowness. */
    boolean failNext(String kind) throws InterruptedException {
        long slow;
        boolean fail;
        synchronized (this) {
            Settings s = this.settings;
            slow = s.slowCallsMs();
            fail = switch (kind) {
                case "query" -> s.failQueries() > 0;
                case "close" -> s.failCloses() > 0;
                case "refund" -> s.failRefunds() > 0;
                default -> throw new IllegalArgumentException(kind);
            };
            if (fail) {
                this.settings = new Settings(s.duplicateCallbacks(), s.duplicateCopies(), s.dropCallbacks(),
                        s.callbackDelayMs(), s.reorderCallbacks(), s.tamperAmount(), s.captureWithoutCallback(),
                        s.failQueries() - ("query".equals(kind) ? 1 : 0), s.failCloses() - ("close".equals(kind) ? 1 : 0),
                        s.failRefunds() - ("refund".equals(kind) ? 1 : 0), s.slowCallsMs(), s.captureAfterClose(), s.tamperCallbacks());
            }
        }
        if (slow > 0) {
            Thread.sleep(slow); // the injected slowness itself, not a synchronisation
        }
        return fail;
    }
}
