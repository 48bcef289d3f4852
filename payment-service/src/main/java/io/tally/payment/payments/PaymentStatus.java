package io.tally.payment.payments;

import java.util.List;

/**
 * The payment's states (docs/design.md, "State machines"), each with the states it may be reached from.
 * {@code ABNORMAL} is a callback that did not match what was asked; it is never {@code SUCCEEDED}.
 */
public enum PaymentStatus {

    PAYING,

    SUCCEEDED(PAYING),

    CLOSED(PAYING),

    REFUNDING(SUCCEEDED, CLOSED),

    REFUNDED(REFUNDING),

    ABNORMAL(PAYING, SUCCEEDED);

    private final List<PaymentStatus> from;

    PaymentStatus(PaymentStatus... from) {
        this.from = List.of(from);
    }

    /** The states this one may be reached from. */
    public List<PaymentStatus> from() {
        return this.from;
    }
}
