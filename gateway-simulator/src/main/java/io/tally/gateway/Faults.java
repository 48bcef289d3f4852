package io.tally.gateway;

import org.jspecify.annotations.Nullable;

import org.springframework.stereotype.Component;

/**
 * The faults the channel injects. Counts ({@code n}) apply to the next {@code n} occurrences; flags hold until
 * the faults are cleared.
 */
@Component
class Faults {

    /** A call of the merchant that a fault can fail. */
    enum Call {
        QUERY, CLOSE, REFUND
    }

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
            @Nullable Integer failCloses, @Nullable Integer failRefunds, @Nullable Long slowCallsMs,
            @Nullable Boolean captureAfterClose, @Nullable Integer tamperCallbacks) {
    }

    /** How a paid trade calls back, decided once when it is paid. */
    record CallbackPlan(boolean send, int copies, long delayMs, boolean tamper, boolean reorder, boolean releaseHeld) {
    }

    // the current faults, guarded by this

    private int duplicateCallbacks;

    private int duplicateCopies = 5;

    private int dropCallbacks;

    private long callbackDelayMs;

    private int reorderCallbacks;

    private boolean tamperAmount;

    private int tamperCallbacks;

    private boolean captureWithoutCallback;

    private boolean captureAfterClose;

    private int failQueries;

    private int failCloses;

    private int failRefunds;

    private long slowCallsMs;

    synchronized Settings current() {
        return new Settings(this.duplicateCallbacks, this.duplicateCopies, this.dropCallbacks, this.callbackDelayMs,
                this.reorderCallbacks, this.tamperAmount, this.captureWithoutCallback, this.failQueries,
                this.failCloses, this.failRefunds, this.slowCallsMs, this.captureAfterClose, this.tamperCallbacks);
    }

    /** Sets the given fields, leaving the absent ones as they are. */
    synchronized Settings set(Settings update) {
        this.duplicateCallbacks = or(update.duplicateCallbacks(), this.duplicateCallbacks);
        this.duplicateCopies = or(update.duplicateCopies(), this.duplicateCopies);
        this.dropCallbacks = or(update.dropCallbacks(), this.dropCallbacks);
        this.callbackDelayMs = or(update.callbackDelayMs(), this.callbackDelayMs);
        this.reorderCallbacks = or(update.reorderCallbacks(), this.reorderCallbacks);
        this.tamperAmount = or(update.tamperAmount(), this.tamperAmount);
        this.tamperCallbacks = or(update.tamperCallbacks(), this.tamperCallbacks);
        this.captureWithoutCallback = or(update.captureWithoutCallback(), this.captureWithoutCallback);
        this.captureAfterClose = or(update.captureAfterClose(), this.captureAfterClose);
        this.failQueries = or(update.failQueries(), this.failQueries);
        this.failCloses = or(update.failCloses(), this.failCloses);
        this.failRefunds = or(update.failRefunds(), this.failRefunds);
        this.slowCallsMs = or(update.slowCallsMs(), this.slowCallsMs);
        return current();
    }

    synchronized void clear() {
        set(new Settings(0, 5, 0, 0L, 0, false, false, 0, 0, 0, 0L, false, 0));
    }

    synchronized boolean captureAfterClose() {
        return this.captureAfterClose;
    }

    /** Decides how a trade just paid calls back, consuming one of each count that applies to it. */
    synchronized CallbackPlan planCallback(@Nullable Long delayOverrideMs) {
        boolean send = !this.captureWithoutCallback;
        if (send && this.dropCallbacks > 0) {
            this.dropCallbacks--;
            send = false;
        }
        int copies = 1;
        boolean reorder = false;
        boolean release = false;
        boolean tamper = this.tamperAmount;
        if (send) {
            if (this.duplicateCallbacks > 0) {
                this.duplicateCallbacks--;
                copies = Math.max(1, this.duplicateCopies);
            }
            if (this.reorderCallbacks > 0) {
                this.reorderCallbacks--;
                reorder = true;
                release = this.reorderCallbacks == 0;
            }
            if (!tamper && this.tamperCallbacks > 0) {
                this.tamperCallbacks--;
                tamper = true;
            }
        }
        long delay = delayOverrideMs != null ? delayOverrideMs : this.callbackDelayMs;
        return new CallbackPlan(send, copies, delay, tamper, reorder, release);
    }

    /** Whether this call fails (consuming one of its count), after the configured slowness. */
    boolean failNext(Call call) throws InterruptedException {
        long slow;
        boolean fail;
        synchronized (this) {
            slow = this.slowCallsMs;
            fail = switch (call) {
                case QUERY -> this.failQueries > 0 && this.failQueries-- > 0;
                case CLOSE -> this.failCloses > 0 && this.failCloses-- > 0;
                case REFUND -> this.failRefunds > 0 && this.failRefunds-- > 0;
            };
        }
        if (slow > 0) {
            Thread.sleep(slow); // the injected slowness itself, not a synchronisation
        }
        return fail;
    }

    private static <T> T or(@Nullable T value, T current) {
        return value != null ? value : current;
    }
}
