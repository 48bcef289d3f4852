package io.tally.deadletter;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A stored dead letter.
 *
 * @param id the row id
 * @param messageId the message id (a hash of the body for a message without one)
 * @param sourceQueue the work queue it failed on
 * @param originalExchange the exchange it was first published to
 * @param originalRoutingKey its first routing key
 * @param eventType the event type, when known
 * @param contentType the content type
 * @param headers the message headers as JSON
 * @param properties the message properties as JSON
 * @param body the raw body
 * @param reason why it was dead-lettered
 * @param failureKind PERMANENT, TRANSIENT or POISON
 * @param exception the last exception, when known
 * @param attempts deliveries before it was dead-lettered
 * @param failures how often it reached a dead-letter queue
 * @param status where it stands
 * @param redriveCount how often it was re-driven
 * @param nextRedriveAt when it is re-driven next, for SCHEDULED
 * @param firstFailedAt first failure
 * @param lastFailedAt last failure
 */
public record DeadLetter(long id, String messageId, String sourceQueue, @Nullable String originalExchange,
        @Nullable String originalRoutingKey, @Nullable String eventType, @Nullable String contentType,
        @Nullable String headers, @Nullable String properties, byte[] body, String reason, String failureKind,
        @Nullable String exception, int attempts, int failures, DeadLetterStatus status, int redriveCount,
        @Nullable Instant nextRedriveAt, Instant firstFailedAt, Instant lastFailedAt) {
}
