package io.tally.contract;

/**
 * Names of the AMQP headers tally writes. None starts with {@code x-}: RabbitMQ 4 ignores client-written
 * {@code x-} headers, and attempts are counted in headers of our own.
 */
public final class MessageHeaders {

    /** The event type, also in the {@code type} property. */
    public static final String EVENT_TYPE = "tally-event-type";

    /** The schema version of the body. */
    public static final String SCHEMA_VERSION = "tally-schema-version";

    /** The aggregate the event belongs to: the order number. */
    public static final String AGGREGATE_ID = "tally-aggregate-id";

    /** When the event occurred, ISO-8601. */
    public static final String OCCURRED_AT = "tally-occurred-at";

    /** The correlation id, also in the {@code correlation_id} property. */
    public static final String CORRELATION_ID = "tally-correlation-id";

    /** The delivery attempt this copy is (1 for the first); written when a message is sent for retry. */
    public static final String ATTEMPT = "tally-attempt";

    /** How often an operator or the compensation consumer re-drove this message. */
    public static final String REDRIVE_COUNT = "tally-redrive-count";

    /** Why the message was dead-lettered. */
    public static final String DEAD_LETTER_REASON = "tally-dead-letter-reason";

    /** {@code PERMANENT} or {@code TRANSIENT}: whether re-driving can help. */
    public static final String FAILURE_KIND = "tally-failure-kind";

    /** The exception of the last failure: class, message and the top of its stack. */
    public static final String EXCEPTION = "tally-exception";

    /** The work queue the message failed on. */
    public static final String ORIGINAL_QUEUE = "tally-original-queue";

    /** The exchange the message was first published to. */
    public static final String ORIGINAL_EXCHANGE = "tally-original-exchange";

    /** The routing key the message was first published with. */
    public static final String ORIGINAL_ROUTING_KEY = "tally-original-routing-key";

    /** When the first failure happened, ISO-8601. */
    public static final String FIRST_FAILED_AT = "tally-first-failed-at";

    private MessageHeaders() {
    }
}
