package io.tally.inbox;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * What a handler may know of the message it handles.
 *
 * @param messageId the message id, the same across retries and replays
 * @param eventType the event type
 * @param schemaVersion the schema version of the body
 * @param aggregateId the aggregate (order number), may be {@code null} for foreign producers
 * @param correlationId the correlation id, may be {@code null}
 * @param occurredAt when the event occurred, may be {@code null}
 * @param attempt which attempt this is, 1 for the first
 * @param queue the work queue
 */
public record EventContext(String messageId, String eventType, int schemaVersion, @Nullable String aggregateId,
        @Nullable String correlationId, @Nullable Instant occurredAt, int attempt, String queue) {
}
