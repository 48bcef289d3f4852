package io.tally.deadletter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.rabbitmq.client.Channel;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.contract.MessageHeaders;

/**
 * The compensation consumer: reads the dead-letter queues as raw messages (never converting them, so an
 * unreadable body is stored as it came, and {@code x-death} is read rather than trusted to a converter),
 * stores each one and acknowledges it only after the commit. When it cannot store (the database is down or
 * refuses writes), it keeps the message unacknowledged and tries again with a doubling wait, never handing it
 * back to the broker's delivery limit.
 */
final class DeadLetterRecorder implements ChannelAwareMessageListener {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterRecorder.class);

    private final DeadLetterStore store;

    private final TransactionTemplate transaction;

    private final DeadLetterProperties properties;

    private final JsonMapper json;

    private final Clock clock;

    private final int deliveryLimit;

    private final MeterRegistry registry;

    private final io.tally.topology.Topology topology;

    private final io.tally.retry.Rerouter rerouter;

    DeadLetterRecorder(DeadLetterStore store, TransactionTemplate transaction, DeadLetterProperties properties,
            JsonMapper json, Clock clock, int deliveryLimit, MeterRegistry registry, io.tally.topology.Topology topology,
            io.tally.retry.Rerouter rerouter) {
        this.topology = topology;
        this.rerouter = rerouter;
        this.store = store;
        this.transaction = transaction;
        this.properties = properties;
        this.json = json;
        this.clock = clock;
        this.deliveryLimit = deliveryLimit;
        this.registry = registry;
        // at 0 from the start, so that the first increment is an increase a rate or an alert sees
        registry.counter("tally.dead.letters.store.failures");
        for (String queue : topology.workQueues()) {
            for (DeadLetterStatus status : List.of(DeadLetterStatus.SCHEDULED, DeadLetterStatus.PARKED)) {
                registry.counter("tally.dead.letters.recorded", "queue", queue, "status", status.name());
            }
            registry.counter("tally.dead.letters.quarantined", "queue", queue);
        }
    }

    /**
     * Stores the dead letter and acknowledges it. While it cannot be stored, the message is kept (not handed
     * back: a requeue counts towards the dead-letter queue's delivery limit, and over it the message would be
     * lost), and storing is tried again after a wait that doubles up to {@code store-retry-max-delay}, until the
     * database takes it or the channel closes (the service stops: the broker then requeues the message). A dead
     * letter the database refuses for what it holds (a value too long) is stored cut down, with that said.
     */
    @Override
    public void onMessage(Message message, Channel channel) throws IOException {
        long tag = message.getMessageProperties().getDeliveryTag();
        DeadLetterStore.Incoming incoming = incoming(message);
        if (quarantine(message, incoming)) {
            channel.basicAck(tag, false);
            return;
        }
        long wait = this.properties.storeRetryDelay().toMillis();
        for (int failure = 0; ; failure++) {
            try {
                DeadLetterStatus status = store(incoming);
                channel.basicAck(tag, false);
                this.registry.counter("tally.dead.letters.recorded", "queue", incoming.sourceQueue(), "status",
                        String.valueOf(status)).increment();
                log.warn("Dead letter {} from {} stored as {}{}: {}", incoming.messageId(), incoming.sourceQueue(),
                        status, failure > 0 ? " after " + failure + " failed tries" : "", incoming.reason());
                return;
            }
            catch (RuntimeException ex) {
                this.registry.counter("tally.dead.letters.store.failures").increment();
                if (failure == 0 || Long.bitCount(failure) == 1) { // the 1st, 2nd, 4th, 8th... failure
                    log.error("ALERT could not store dead letter {} from {} (try {}); it is kept, trying again in {} ms: {}",
                            incoming.messageId(), incoming.sourceQueue(), failure + 1, wait, ex.toString());
                }
            }
            if (!channel.isOpen() || !pause(wait)) {
                log.warn("Dead letter {} from {} not stored before its channel closed; the broker delivers it again",
                        incoming.messageId(), incoming.sourceQueue());
                return;
            }
            wait = Math.min(wait * 2, this.properties.storeRetryMaxDelay().toMillis());
        }
    }

    /**
     * A message over its work queue's delivery limit crashed its consumer, or only sat beside one that did (a
     * crash counts a delivery for every message the consumer held): it is handled once more in the work queue's
     * quarantine, alone, and parked only if it crashes its consumer there too.
     * @return whether it went to the quarantine (the broker confirmed it)
     */
    private boolean quarantine(Message message, DeadLetterStore.Incoming incoming) {
        Map<String, Object> death = firstDeath(message.getMessageProperties());
        Object diedIn = death != null ? death.get("queue") : null;
        if (death == null || !"delivery_limit".equals(String.valueOf(death.get("reason"))) || diedIn == null
                || this.topology.isQuarantine(diedIn.toString())) {
            return false;
        }
        try {
            this.rerouter.quarantine(message, incoming.sourceQueue());
        }
        catch (org.springframework.amqp.AmqpException ex) {
            log.warn("Could not send {} from {} to its quarantine ({}); storing it as a dead letter", incoming.messageId(),
                    incoming.sourceQueue(), ex.getMessage());
            return false;
        }
        this.registry.counter("tally.dead.letters.quarantined", "queue", incoming.sourceQueue()).increment();
        log.warn("Message {} reached the delivery limit of {} (it crashed its consumer, or sat beside one that did): "
                + "handled once more alone, in quarantine", incoming.messageId(), incoming.sourceQueue());
        return true;
    }

    private DeadLetterStatus store(DeadLetterStore.Incoming incoming) {
        try {
            return this.transaction.execute(s -> this.store.record(incoming, this.properties, this.clock.instant()));
        }
        catch (org.springframework.dao.DataIntegrityViolationException tooBig) {
            // what it holds does not fit: keep what identifies it, and say what was cut
            DeadLetterStore.Incoming cut = incoming.cutDown("stored cut down, the database refused it whole: " + tooBig
                .getMostSpecificCause().getMessage());
            return this.transaction.execute(s -> this.store.record(cut, this.properties, this.clock.instant()));
        }
    }

    /** Waits; {@code false} when interrupted (the service stops). */
    private static boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    DeadLetterStore.Incoming incoming(Message message) {
        MessageProperties p = message.getMessageProperties();
        String consumerQueue = p.getConsumerQueue() != null ? p.getConsumerQueue() : "";
        String sourceQueue = header(p, MessageHeaders.ORIGINAL_QUEUE);
        if (sourceQueue == null) {
            sourceQueue = consumerQueue.endsWith(".dlq") ? consumerQueue.substring(0, consumerQueue.length() - 4)
                    : consumerQueue;
        }
        Map<String, Object> death = firstDeath(p);
        String brokerReason = death != null && death.get("reason") != null ? death.get("reason").toString() : null;
        String reason = header(p, MessageHeaders.DEAD_LETTER_REASON);
        String kind = header(p, MessageHeaders.FAILURE_KIND);
        int attempts = intHeader(p, MessageHeaders.ATTEMPT, 1);
        if (reason == null) {
            if ("delivery_limit".equals(brokerReason)) {
                Object diedIn = death.get("queue");
                reason = diedIn != null && this.topology.isQuarantine(diedIn.toString())
                        ? "crashed or was rejected by its consumer alone, in quarantine, until the delivery limit ("
                                + this.deliveryLimit + ") stopped it"
                        : "crashed or was rejected by its consumer until the delivery limit (" + this.deliveryLimit
                                + ") of " + sourceQueue + " stopped it";
                kind = "POISON";
                attempts = Math.max(attempts, this.deliveryLimit);
            }
            else if (brokerReason != null) {
                reason = "dead-lettered by the broker: " + brokerReason;
                kind = "TRANSIENT";
            }
            else {
                reason = "reached " + consumerQueue + " without a reason";
                kind = "PERMANENT";
            }
        }
        if (kind == null) {
            kind = "PERMANENT";
        }
        String originalExchange = header(p, MessageHeaders.ORIGINAL_EXCHANGE);
        String originalRoutingKey = header(p, MessageHeaders.ORIGINAL_ROUTING_KEY);
        if (originalExchange == null && death != null) {
            originalExchange = String.valueOf(death.get("exchange"));
            Object keys = death.get("routing-keys");
            originalRoutingKey = keys instanceof List<?> list && !list.isEmpty() ? String.valueOf(list.get(0)) : null;
        }
        String messageId = p.getMessageId();
        if (messageId == null || messageId.isBlank() || messageId.length() > 64) {
            messageId = sha256(message.getBody());
        }
        String eventType = p.getType() != null ? p.getType() : header(p, MessageHeaders.EVENT_TYPE);
        return new DeadLetterStore.Incoming(messageId, sourceQueue, originalExchange, originalRoutingKey, eventType,
                p.getContentType(), this.json.writeValueAsString(plain(p.getHeaders())),
                this.json.writeValueAsString(properties(p)), message.getBody(), reason, kind,
                header(p, MessageHeaders.EXCEPTION), attempts);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> firstDeath(MessageProperties p) {
        Object deaths = p.getHeaders().get("x-death");
        if (deaths instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Map<?, ?> first) {
            return (Map<String, Object>) first;
        }
        return null;
    }

    private static Map<String, Object> properties(MessageProperties p) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("messageId", p.getMessageId());
        props.put("type", p.getType());
        props.put("correlationId", p.getCorrelationId());
        props.put("contentType", p.getContentType());
        props.put("contentEncoding", p.getContentEncoding());
        props.put("appId", p.getAppId());
        props.put("timestamp", p.getTimestamp() != null ? p.getTimestamp().toInstant().toString() : null);
        return props;
    }

    /** Header values as plain JSON values: strings, numbers, booleans, lists and maps. */
    static Object plain(Object value) {
        if (value == null || value instanceof String || value instanceof Number || value instanceof Boolean) {
            return value;
        }
        if (value instanceof Date date) {
            return date.toInstant().toString();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(String.valueOf(k), plain(v)));
            return copy;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(DeadLetterRecorder::plain).toList();
        }
        if (value instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        return value.toString();
    }

    private static String header(MessageProperties p, String name) {
        Object value = p.getHeaders().get(name);
        return value != null ? value.toString() : null;
    }

    private static int intHeader(MessageProperties p, String name, int fallback) {
        Object value = p.getHeaders().get(name);
        if (value instanceof Number n) {
            return n.intValue();
        }
        try {
            return value != null ? Integer.parseInt(value.toString()) : fallback;
        }
        catch (NumberFormatException ex) {
            return fallback;
        }
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
