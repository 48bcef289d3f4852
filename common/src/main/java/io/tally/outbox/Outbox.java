package io.tally.outbox;

/**
 * Publishes events through the transactional outbox.
 */
public interface Outbox {

    /**
     * Records an event for publication, in the caller's transaction: it is published if and only if that
     * transaction commits, after every earlier event of the same aggregate.
     * @param aggregateId the aggregate the event belongs to (the order number); not {@code null}
     * @param event a record annotated with {@link io.tally.contract.EventType}; not {@code null}
     * @return the message id the event will carry
     * @throws org.springframework.transaction.IllegalTransactionStateException when no transaction is active
     * @throws IllegalArgumentException when the event is not annotated with {@code @EventType}
     */
    String publish(String aggregateId, Object event);
}
