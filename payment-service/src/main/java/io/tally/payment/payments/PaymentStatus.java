package io.tally.payment.payments;

import java.util.Collection;
import java.util.List;

/**
 * The payment's states (docs/design.md, "State machines"), each with the states it may be reached from.
 * {@code ABNORMAL} is a callback that did not match what was asked; it is never {@code SUCCEEDED}. Every status
 * written or compared in SQL is bound from here ({@link #name()}, {@link #fromNames()}, {@link #names}).
 */
public enum PaymentStatus {

    PAYING,

    SUCCEEDED(PAYING),

    CLOSED(PAYING),

    REFUNDING(SUCCEEDED, CLOSED),

    REFUNDED(REFUNDING),

    ABNORMAL(PAYING, SUCCEEDED);

    /** The states reconciliation counts as captured as asked: {@code SUCCEEDED} and the refund states after it. */
    private static final List<PaymentStatus> CAPTURED = List.of(SUCCEEDED, REFUNDING, REFUNDED);

    private final List<PaymentStatus> from;

    PaymentStatus(PaymentStatus... from) {
        this.from = List.of(from);
    }

    /** The states this one may be reached from. */
    public List<PaymentStatus> from() {
        return this.from;
    }

    /** The names of the states this one may be reached from, to bind as the {@code IN} list of its update. */
    public List<String> fromNames() {
        return names(this.from);
    }

    /**
     * The states of a payment whose money the channel captured as asked: {@code SUCCEEDED}, and {@code REFUNDING}
     * and {@code REFUNDED}, which follow it (or a capture after close). Reconciliation expects each of them in the
     * channel's statement.
     */
    public static List<PaymentStatus> captured() {
        return CAPTURED;
    }

    /** The names of the given states, to bind as an {@code IN} list. */
    public static List<String> names(Collection<PaymentStatus> statuses) {
        return statuses.stream().map(PaymentStatus::name).toList();
    }
}
