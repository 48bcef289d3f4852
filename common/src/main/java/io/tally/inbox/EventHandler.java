package io.tally.inbox;

/**
 * Handles one event type. A bean of this type gets its own durable quorum queue
 * ({@code <service>.<event type>}) bound to the event's exchange, and is called through the consumer chain:
 * inside a database transaction that also records the message id, so a duplicate never reaches it; a
 * thrown exception is retried with backoff (or dead-lettered at once when permanent) and rolls the
 * transaction back. Handlers contain no acknowledgement, dedup or retry code.
 *
 * @param <E> the event record, annotated with {@link io.tally.contract.EventType}
 */
@FunctionalInterface
public interface EventHandler<E> {

    /**
     * Applies the event.
     * @param event the event, never {@code null}
     * @param context the message's metadata
     * @throws Exception any failure; the chain classifies it as transient or permanent
     */
    void handle(E event, EventContext context) throws Exception;
}
