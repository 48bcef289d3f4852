package io.tally.payment.payments;

import java.util.List;

/**
 * The states of an order payment-service may take money for (the {@code payable_order} table), each with the
 * states it may be reached from. An order is recorded as {@code AWAITING_PAYMENT} by {@code order.awaiting-payment},
 * or straight as {@code CANCELLED} when its cancellation arrives first; {@code CANCELLED} is final.
 */
enum PayableStatus {

    /** Payments may be created for it until its deadline. */
    AWAITING_PAYMENT,

    /** No payment may start any more; money captured for it is refunded. */
    CANCELLED(AWAITING_PAYMENT);

    private final List<PayableStatus> from;

    PayableStatus(PayableStatus... from) {
        this.from = List.of(from);
    }

    /** The states this one may be reached from (besides being the first one recorded). */
    List<PayableStatus> from() {
        return this.from;
    }
}
