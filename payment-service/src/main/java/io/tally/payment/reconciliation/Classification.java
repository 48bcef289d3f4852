package io.tally.payment.reconciliation;

import org.jspecify.annotations.Nullable;

import io.tally.payment.payments.PaymentStatus;
import io.tally.payment.reconciliation.Reconciliations.Kind;
import io.tally.payment.reconciliation.Reconciliations.LocalPayment;
import io.tally.payment.reconciliation.Reconciliations.LocalRefund;
import io.tally.payment.refunds.RefundStatus;

/**
 * How one line of the channel's statement compares with what we hold, as a plain decision: no difference, a
 * difference left open for an operator, or a difference that is safe to repair through the state machine.
 */
final class Classification {

    private Classification() {
    }

    /** What to do about a line. */
    enum Action {
        /** Nothing: the line and our records agree. */
        NONE,
        /** Record the difference for an operator. */
        OPEN,
        /** Repair it through the normal state machine, then record it as repaired (or open, if the repair fails). */
        REPAIR
    }

    /** The comparison's outcome: the kind of difference (when there is one) and what to do. */
    record Verdict(@Nullable Kind kind, Action action) {

        static final Verdict NONE = new Verdict(null, Action.NONE);
    }

    /**
     * A capture the statement shows, against our payment of that trade number.
     * @param local our payment, or {@code null} when we have none
     */
    static Verdict payment(@Nullable LocalPayment local, long capturedAtChannel) {
        if (local == null) {
            return new Verdict(Kind.MISSING_LOCAL, Action.OPEN); // not ours to repair: nothing asked for it
        }
        if (local.succeeded()) {
            return local.captured() == capturedAtChannel ? Verdict.NONE : new Verdict(Kind.AMOUNT_MISMATCH, Action.OPEN);
        }
        if (local.status() == PaymentStatus.ABNORMAL) {
            return new Verdict(Kind.STATUS_MISMATCH, Action.OPEN);
        }
        if (local.amount() != capturedAtChannel) {
            return new Verdict(Kind.AMOUNT_MISMATCH, Action.OPEN);
        }
        // PAYING or CLOSED, captured as asked: a capture we missed, safe to apply through the state machine.
        return new Verdict(Kind.MISSING_LOCAL, Action.REPAIR);
    }

    /**
     * A refund the statement shows, against our refund of that number.
     * @param local our refund, or {@code null} when we have none
     */
    static Verdict refund(@Nullable LocalRefund local, long refundedAtChannel) {
        if (local == null || local.amount() != refundedAtChannel) {
            return new Verdict(Kind.REFUND_MISMATCH, Action.OPEN);
        }
        if (local.status() == RefundStatus.REQUESTED) {
            // issued at the channel, not yet confirmed here: the same request confirms it (same number, no new money)
            return new Verdict(Kind.REFUND_MISMATCH, Action.REPAIR);
        }
        return Verdict.NONE;
    }
}
