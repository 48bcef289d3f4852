package io.tally.order.orders;

/** Why an order was cancelled (docs/design.md, "Events"). */
public enum CancelReason {
    /** Not paid within the payment window and its grace. */
    TIMEOUT,
    /** The user cancelled it. */
    USER,
    /** The stock could not be reserved. */
    OUT_OF_STOCK
}
