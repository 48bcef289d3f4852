package io.tally.deadletter;

import java.time.Instant;
import java.util.Date;
import java.util.Map;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;

import io.tally.contract.MessageHeaders;

/**
 * Rebuilds a stored dead letter as a message to send back to its queue: same body, message id and event
 * headers; failure headers and broker {@code x-} headers dropped; the attempt count starts again at 1.
 */
final class DeadLetterMessages {

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final JsonMapper json;

    DeadLetterMessages(JsonMapper json) {
        this.json = json;
    }

    Message rebuild(DeadLetter letter, int redriveCount) {
        MessageProperties p = new MessageProperties();
        Map<String, Object> props = letter.properties() != null ? this.json.readValue(letter.properties(), MAP) : Map.of();
        p.setMessageId(letter.messageId());
        p.setType(string(props.get("type")));
        p.setCorrelationId(string(props.get("correlationId")));
        p.setContentType(letter.contentType() != null ? letter.contentType() : MessageProperties.CONTENT_TYPE_BYTES);
        p.setContentEncoding(string(props.get("contentEncoding")));
        p.setAppId(string(props.get("appId")));
        if (props.get("timestamp") != null) {
            p.setTimestamp(Date.from(Instant.parse(props.get("timestamp").toString())));
        }
        p.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
        Map<String, Object> headers = letter.headers() != null ? this.json.readValue(letter.headers(), MAP) : Map.of();
        headers.forEach((name, value) -> {
            if (!name.startsWith("x-") && !name.equals(MessageHeaders.DEAD_LETTER_REASON)
                    && !name.equals(MessageHeaders.FAILURE_KIND) && !name.equals(MessageHeaders.EXCEPTION)) {
                p.setHeader(name, value);
            }
        });
        p.setHeader(MessageHeaders.ATTEMPT, 1);
        p.setHeader(MessageHeaders.REDRIVE_COUNT, redriveCount);
        return new Message(letter.body(), p);
    }

    private static String string(Object value) {
        return value != null ? value.toString() : null;
    }
}
