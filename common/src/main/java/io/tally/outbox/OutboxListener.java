package io.tally.outbox;

import java.util.List;

/**
 * Hooks into the relay, for metrics and tests. Methods run on the relay thread; an exception thrown from
 * {@link #beforeFinish} aborts the batch as a crash would: nothing is marked, the leases expire, and the
 * rows are published again.
 */
public interface OutboxListener {

    /** Rows were claimed. */
    default void claimed(List<OutboxRecord> records) {
    }

    /** This row is about to be sent to the broker. */
    default void beforePublish(OutboxRecord record) {
    }

    /** The batch was published and these rows were confirmed; they are about to be marked SENT. */
    default void beforeFinish(List<OutboxRecord> confirmed) {
    }

    /** These rows are marked SENT. */
    default void sent(List<OutboxRecord> records) {
    }

    /** This row failed to publish; {@code dead} when it will not be retried. */
    default void failed(OutboxRecord record, String reason, boolean dead) {
    }

    /** The broker cannot be reached: the relay pauses, and charges no row for it. */
    default void brokerUnavailable(String reason) {
    }

    /** The broker answers again after {@link #brokerUnavailable}: the relay resumes. */
    default void brokerAvailable() {
    }
}
