package io.tally.inbox;

import java.util.ArrayList;
import java.util.List;

import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.context.SmartLifecycle;

/**
 * One listener container per work queue, in manual acknowledgement mode, started after the topology is
 * declared and stopped before the connection closes.
 */
public final class ConsumerContainers implements SmartLifecycle {

    /** After the topology, before the relay stops. */
    public static final int PHASE = Integer.MAX_VALUE - 1500;

    private final List<SimpleMessageListenerContainer> containers = new ArrayList<>();

    private final boolean autoStartup;

    private volatile boolean running;

    ConsumerContainers(boolean autoStartup) {
        this.autoStartup = autoStartup;
    }

    void add(ConnectionFactory connectionFactory, String queue, ChannelAwareMessageListener listener,
            int concurrency, int prefetch) {
        SimpleMessageListenerContainer container = new SimpleMessageListenerContainer(connectionFactory);
        container.setQueueNames(queue);
        container.setAcknowledgeMode(AcknowledgeMode.MANUAL);
        container.setConcurrentConsumers(concurrency);
        container.setPrefetchCount(prefetch);
        container.setDefaultRequeueRejected(false);
        container.setMessageListener(listener);
        container.setAutoStartup(false);
        container.setListenerId(queue);
        container.setBeanName("tally-consumer-" + queue);
        container.afterPropertiesSet();
        this.containers.add(container);
    }

    @Override
    public void start() {
        this.containers.forEach(SimpleMessageListenerContainer::start);
        this.running = true;
    }

    @Override
    public void stop() {
        this.containers.forEach(SimpleMessageListenerContainer::stop);
        this.running = false;
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public boolean isAutoStartup() {
        return this.autoStartup;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** Closes the containers for good. */
    void destroy() {
        this.containers.forEach(SimpleMessageListenerContainer::destroy);
    }
}
