package io.tally.outbox;

import java.time.Instant;

/**
 * A claimed outbox row.
 *
 * @param id the row id
 * @param messageId the message id the event carries
 * @param aggregateId the aggregate
 * @param exchange the exchange, prefix included
 * @param routingKey the routing key (the event type)
 * @param eventType the event type
 * @param schemaVersion the schema version
 * @param correlationId the correlation id, may be {@code null}
 * @param headers further headers as JSON, may be {@code null}
 * @param payload the JSON body
 * @param attempts failed publications so far
 * @param createdAt when the row was written
 */
public record OutboxRecord(long id, String messageId, String aggregateId, String exchange, String routingKey,
        String eventType, int schemaVersion, String correlationId, String headers, byte[] payload, int attempts,
        Instant createdAt) {
}
