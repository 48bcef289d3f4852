package io.tally.outbox;

import java.util.List;

/**
 * The states of an outbox row, each with the states it may be reached from. The outbox SQL binds these (no status
 * is written as a literal beside the enum), so this is the one definition of the row's state machine.
 */
public enum OutboxStatus {

    /** Written with its business change; due for the relay (again, after a replay). */
    PENDING,

    /** Confirmed by the broker; purged after its retention. */
    SENT(PENDING),

    /** Every attempt failed: it blocks its aggregate until an operator replays or discards it. */
    DEAD(PENDING),

    /** Closed by an operator without publishing; purged after its retention. */
    DISCARDED;

    static {
        PENDING.from = List.of(DEAD);
        DISCARDED.from = List.of(DEAD);
    }

    private List<OutboxStatus> from;

    OutboxStatus(OutboxStatus... from) {
        this.from = List.of(from);
    }

    /** The states this one may be reached from (a replay moves a DEAD row back to PENDING). */
    public List<OutboxStatus> from() {
        return this.from;
    }
}
