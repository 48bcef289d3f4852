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
     * How many times each fault was applied since the simulator started (never reset by {@code DELETE}): what a
     * test reads to know that the faults it asked for really happened.
     *
     * @param duplicatedTrades paid trades whose callback was sent as several copies
     * @param droppedTrades paid trades that never called back ({@code dropCallbacks})
     * @param capturedWithoutCallback paid trades captured without any callback ({@code captureWithoutCallback})
     * @param delayedTrades paid trades whose callback was delayed by {@code callbackDelayMs}
     * @param reorderedTrades paid trades whose callback was held and sent in reverse order
     * @param tamperedTrades paid trades whose callbacks carried a tampered amount
     * @param capturedAfterClose trades paid after the merchant closed them ({@code captureAfterClose})
     * @param failedQueries queries answered 503
     * @param failedCloses closes answered 503
     * @param failedRefunds refunds answered 503
     * @param refusedRefunds refunds refused with 400 ({@code refuseRefunds})
     */
    record Applied(long duplicatedTrades, long droppedTrades, long capturedWithoutCallback, long delayedTrades,
            long reorderedTrades, long tamperedTrades, long capturedAfterClose, long failedQueries, long failedCloses,
            long failedRefunds, long refusedRefunds) {
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
     * @param refuseRefunds the next n refunds are refused with 400, as a channel refuses a refund it will never
     * accept (retrying the same request cannot help)
     * @param slowCreatesMs trade creations answer only after this delay (the trade is created after it)
     */
    record Settings(@Nullable Integer duplicateCallbacks, @Nullable Integer duplicateCopies,
            @Nullable Integer dropCallbacks, @Nullable Long callbackDelayMs, @Nullable Integer reorderCallbacks,
            @Nullable Boolean tamperAmount, @Nullable Boolean captureWithoutCallback, @Nullable Integer failQueries,
            @Nullable Integer failCloses, @Nullable Integer failRefunds, @Nullable Long slowCallsMs,
            @Nullable Boolean captureAfterClose, @Nullable Integer tamperCallbacks, @Nullable Integer refuseRefunds,
            @Nullable Long slowCreatesMs) {
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

    private int refuseRefunds;

    private long slowCreatesMs;

    // what was applied, guarded by this

    private long duplicated;

    private long dropped;

    private long withoutCallback;

    private long delayed;

    private long reordered;

    private long tampered;

    private long afterClose;

    private long failedQueries;

    private long failedCloses;

    private long failedRefunds;

    private long refusedRefunds;

    synchronized Settings current() {
        return new Settings(this.duplicateCallbacks, this.duplicateCopies, this.dropCallbacks, this.callbackDelayMs,
                this.reorderCallbacks, this.tamperAmount, this.captureWithoutCallback, this.failQueries,
                this.failCloses, this.failRefunds, this.slowCallsMs, this.captureAfterClose, this.tamperCallbacks,
                this.refuseRefunds, this.slowCreatesMs);
    }

    synchronized Applied applied() {
        return new Applied(this.duplicated, this.dropped, this.withoutCallback, this.delayed, this.reordered,
                this.tampered, this.afterClose, this.failedQueries, this.failedCloses, this.failedRefunds,
                this.refusedRefunds);
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
        this.refuseRefunds = or(update.refuseRefunds(), this.refuseRefunds);
        this.slowCreatesMs = or(update.slowCreatesMs(), this.slowCreatesMs);
        return current();
    }

    synchronized void clear() {
        set(new Settings(0, 5, 0, 0L, 0, false, false, 0, 0, 0, 0L, false, 0, 0, 0L));
    }

    synchronized boolean captureAfterClose() {
        return this.captureAfterClose;
    }

    /** Counts a trade paid after the merchant closed it, which {@link #captureAfterClose()} allowed. */
    synchronized void capturedAfterClose() {
        this.afterClose++;
    }

    /** Decides how a trade just paid calls back, consuming one of each count that applies to it. */
    synchronized CallbackPlan planCallback(@Nullable Long delayOverrideMs) {
        boolean send = !this.captureWithoutCallback;
        if (!send) {
            this.withoutCallback++;
        }
        if (send && this.dropCallbacks > 0) {
            this.dropCallbacks--;
            this.dropped++;
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
                this.duplicated++;
            }
            if (this.reorderCallbacks > 0) {
                this.reorderCallbacks--;
                reorder = true;
                release = this.reorderCallbacks == 0;
                this.reordered++;
            }
            if (!tamper && this.tamperCallbacks > 0) {
                this.tamperCallbacks--;
                tamper = true;
            }
            if (tamper) {
                this.tampered++;
            }
        }
        long delay = delayOverrideMs != null ? delayOverrideMs : this.callbackDelayMs;
        if (send && delayOverrideMs == null && delay > 0) {
            this.delayed++;
        }
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
            if (fail) {
                switch (call) {
                    case QUERY -> this.failedQueries++;
                    case CLOSE -> this.failedCloses++;
                    case REFUND -> this.failedRefunds++;
                }
            }
        }
        if (slow > 0) {
            Thread.sleep(slow); // the injected slowness itself, not a synchronisation
        }
        return fail;
    }

    /** Waits as long as {@code slowCreatesMs} says before a trade is created. */
    void beforeCreate() throws InterruptedException {
        long slow;
        synchronized (this) {
            slow = this.slowCreatesMs;
        }
        if (slow > 0) {
            Thread.sleep(slow); // the injected slowness itself, not a synchronisation
        }
    }

    /** Whether this refund is refused (consuming one of {@code refuseRefunds}). */
    synchronized boolean refuseNextRefund() {
        if (this.refuseRefunds > 0) {
            this.refuseRefunds--;
            this.refusedRefunds++;
            return true;
        }
        return false;
    }

    private static <T> T or(@Nullable T value, T current) {
        return value != null ? value : current;
    }
}
