package io.tally.order.orders;

import java.util.List;

/**
 * The order's states (docs/design.md, "State machines"). Each state lists the states it may be reached from; a
 * transition is a conditional update from exactly those, so two racing transitions cannot both succeed.
 */
public enum OrderStatus {

    PENDING_STOCK,

    AWAITING_PAYMENT(PENDING_STOCK),

    PAID(AWAITING_PAYMENT),

    CANCELLED(PENDING_STOCK, AWAITING_PAYMENT);

    private final List<OrderStatus> from;

    OrderStatus(OrderStatus... from) {
        this.from = List.of(from);
    }

    /** The states this one may be reached from. */
    public List<OrderStatus> from() {
        return this.from;
    }

    /** Whether the order can still change. */
    public boolean isFinal() {
        return this == PAID || this == CANCELLED;
    }
}
