package io.tally.topology;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Declarable;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.core.TopicExchange;

import io.tally.contract.EventDescriptor;

/**
 * Names and declarations of every exchange and queue. All of them are declared here, from configuration,
 * so that every service declares a shared exchange or queue with identical arguments (RabbitMQ closes the
 * channel with 406 on any difference).
 * <p>
 * For a work queue {@code Q}: a durable quorum queue with {@code x-delivery-limit}, dead-lettering at least
 * once to {@code <service>.dlx} with routing key {@code Q}; retry tiers {@code Q.retry.<delay>}, quorum
 * queues with a fixed {@code x-message-ttl} that dead-letter back to {@code Q} through the default exchange;
 * the dead-letter queue {@code Q.dlq} bound to {@code <service>.dlx} with key {@code Q}, and the quarantine
 * {@code Q.quarantine} (as {@code Q}, dead-lettering into {@code Q.dlq}).
 */
public final class Topology {

    private final TopologyProperties properties;

    private final Map<String, EventDescriptor> consumedEvents = new LinkedHashMap<>();

    public Topology(TopologyProperties properties) {
        this.properties = properties;
    }

    /** The configuration this topology was built from. */
    public TopologyProperties properties() {
        return this.properties;
    }

    /** The exchange name of a logical exchange, prefix included. */
    public String exchange(String logicalName) {
        return this.properties.prefix() + logicalName;
    }

    /** The work queue this service consumes the given event from. */
    public String workQueue(EventDescriptor event) {
        return this.properties.prefix() + this.properties.service() + "." + event.name();
    }

    /** The dead-letter exchange of this service. */
    public String deadLetterExchange() {
        return this.properties.prefix() + this.properties.service() + ".dlx";
    }

    /** The dead-letter queue of a work queue. */
    public String deadLetterQueue(String workQueue) {
        return workQueue + ".dlq";
    }

    /**
     * The quarantine of a work queue: a message that reached the work queue's delivery limit (it crashed its
     * consumer, or it sat beside one that did) is handled here again, alone (one consumer, prefetch 1), so that
     * only a message that crashes its consumer by itself is parked.
     */
    public String quarantineQueue(String workQueue) {
        return workQueue + ".quarantine";
    }

    /** Whether the queue is a quarantine ({@link #quarantineQueue}). */
    public boolean isQuarantine(String queue) {
        return queue.endsWith(".quarantine");
    }

    /** The retry tier queue a message waits in before its {@code retry}-th retry (1-based). */
    public String retryQueue(String workQueue, int retry) {
        return workQueue + ".retry." + label(retryDelay(retry));
    }

    /** The delay before the {@code retry}-th retry (1-based); the last tier repeats. */
    public Duration retryDelay(int retry) {
        List<Duration> delays = this.properties.retryDelays();
        return delays.get(Math.min(Math.max(retry, 1), delays.size()) - 1);
    }

    /** Registers an event this service consumes, so that its queues are declared. */
    public synchronized void consume(EventDescriptor event) {
        this.consumedEvents.putIfAbsent(workQueue(event), event);
    }

    /** The work queues of this service, in registration order. */
    public synchronized List<String> workQueues() {
        return List.copyOf(this.consumedEvents.keySet());
    }

    /** Every declaration of this service: its exchanges, and for each consumed event its queues. */
    public synchronized List<Declarable> declarables() {
        List<Declarable> all = new ArrayList<>();
        Set<String> exchanges = new LinkedHashSet<>();
        this.properties.exchanges().forEach(e -> exchanges.add(exchange(e)));
        this.consumedEvents.values().forEach(e -> exchanges.add(exchange(e.exchange())));
        exchanges.forEach(name -> all.add(new TopicExchange(name, true, false)));
        if (!this.consumedEvents.isEmpty()) {
            DirectExchange dlx = new DirectExchange(deadLetterExchange(), true, false);
            all.add(dlx);
            this.consumedEvents.forEach((queueName, event) -> {
                Queue work = workQueueDeclaration(queueName);
                all.add(work);
                // dead-letters like its work queue, into the same dead-letter queue
                all.add(workQueueDeclaration(quarantineQueue(queueName), queueName));
                all.add(BindingBuilder.bind(work).to(new TopicExchange(exchange(event.exchange()))).with(event.name()));
                for (Duration delay : new LinkedHashSet<>(this.properties.retryDelays())) {
                    all.add(retryQueueDeclaration(queueName, delay));
                }
                Queue dlq = QueueBuilder.durable(deadLetterQueue(queueName)).quorum()
                    .deliveryLimit(this.properties.deadLetterDeliveryLimit())
                    .build();
                all.add(dlq);
                all.add(BindingBuilder.bind(dlq).to(dlx).with(queueName));
            });
        }
        return all;
    }

    /** The names of every exchange and queue this topology declares, for clean-up in tests. */
    public synchronized Names names() {
        List<String> queues = new ArrayList<>();
        List<String> exchanges = new ArrayList<>();
        for (Declarable d : declarables()) {
            if (d instanceof Queue q) {
                queues.add(q.getName());
            }
            else if (d instanceof org.springframework.amqp.core.Exchange x) {
                exchanges.add(x.getName());
            }
        }
        return new Names(exchanges, queues);
    }

    private Queue workQueueDeclaration(String name) {
        return workQueueDeclaration(name, name);
    }

    private Queue workQueueDeclaration(String name, String workQueue) {
        return QueueBuilder.durable(name).quorum()
            .deliveryLimit(this.properties.deliveryLimit())
            .deadLetterExchange(deadLetterExchange())
            .deadLetterRoutingKey(workQueue)
            .withArgument("x-dead-letter-strategy", "at-least-once")
            .overflow(QueueBuilder.Overflow.rejectPublish)
            .build();
    }

    private Queue retryQueueDeclaration(String workQueue, Duration delay) {
        return QueueBuilder.durable(workQueue + ".retry." + label(delay)).quorum()
            .ttl(Math.toIntExact(delay.toMillis()))
            .deliveryLimit(this.properties.deliveryLimit())
            .deadLetterExchange("")
            .deadLetterRoutingKey(workQueue)
            .withArgument("x-dead-letter-strategy", "at-least-once")
            .overflow(QueueBuilder.Overflow.rejectPublish)
            .build();
    }

    static String label(Duration delay) {
        long ms = delay.toMillis();
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    /** Declared names. */
    public record Names(Collection<String> exchanges, Collection<String> queues) {
    }
}
