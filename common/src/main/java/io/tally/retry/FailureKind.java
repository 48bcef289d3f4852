package io.tally.retry;

/** Whether re-driving a dead letter can help. */
public enum FailureKind {

    /** Retrying cannot help: the message or the handler must change first. An operator decides. */
    PERMANENT,

    /** The failure may pass: the compensation consumer re-drives the message on a backoff schedule. */
    TRANSIENT,

    /** The message crashed its consumer until the broker's delivery limit stopped it. An operator decides. */
    POISON
}
