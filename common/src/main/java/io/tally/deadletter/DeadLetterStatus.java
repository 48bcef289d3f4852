package io.tally.deadletter;

/** Where a stored dead letter stands. */
public enum DeadLetterStatus {

    /** Transient: waits for its next re-drive. */
    SCHEDULED,

    /** Sent back to its queue by the compensation consumer; a new failure brings it back here. */
    REDRIVEN,

    /** Waits for an operator, with its reason. */
    PARKED,

    /** Sent back to its queue by an operator. */
    REPLAYED,

    /** Closed by an operator, with a reason. */
    DISCARDED
}
