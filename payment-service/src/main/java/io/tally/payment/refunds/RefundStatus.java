package io.tally.payment.refunds;

import java.util.List;

/**
 * The refund's states (the {@code refund} table; docs/design.md, "Refund"), each with the states it may be reached
 * from. A failed attempt leaves a refund {@code REQUESTED}; a flag ({@code flagged_at}) marks one an operator must
 * look at, and is not a status. Every refund status written or compared in SQL is bound from here.
 */
public enum RefundStatus {

    /** Decided, numbered from its payment, and issued until the channel confirms it. */
    REQUESTED,

    /** The channel confirmed it. */
    SUCCEEDED(REQUESTED);

    private final List<RefundStatus> from;

    RefundStatus(RefundStatus... from) {
        this.from = List.of(from);
    }

    /** The states this one may be reached from. */
    public List<RefundStatus> from() {
        return this.from;
    }

    /** The names of the states this one may be reached from, to bind as the {@code IN} list of its update. */
    public List<String> fromNames() {
        return this.from.stream().map(RefundStatus::name).toList();
    }
}
