package io.tally.topology;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.Declarable;
import org.springframework.amqp.core.Exchange;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.Connection;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionListener;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

/**
 * Declares the whole topology before any publisher or consumer starts, and again on every new connection
 * (a broker restart may have lost nothing, but a new broker has nothing).
 */
public final class TopologyDeclarer implements SmartLifecycle, ConnectionListener, DisposableBean {

    /** Starts before the relay and the consumers. */
    public static final int PHASE = Integer.MAX_VALUE - 2000;

    private static final Logger log = LoggerFactory.getLogger(TopologyDeclarer.class);

    private final Topology topology;

    private final RabbitAdmin admin;

    private final ConnectionFactory connectionFactory;

    private volatile boolean running;

    TopologyDeclarer(Topology topology, RabbitAdmin admin, ConnectionFactory connectionFactory) {
        this.topology = topology;
        this.admin = admin;
        this.connectionFactory = connectionFactory;
        this.admin.setAutoStartup(false);
    }

    /** Declares every exchange, queue and binding; an existing one with other arguments fails here. */
    public void declare() {
        for (Declarable d : this.topology.declarables()) {
            if (d instanceof Exchange e) {
                this.admin.declareExchange(e);
            }
            else if (d instanceof Queue q) {
                this.admin.declareQueue(q);
            }
            else if (d instanceof Binding b) {
                this.admin.declareBinding(b);
            }
        }
    }

    /** Deletes every queue and exchange of this topology; for tests. */
    public void deleteAll() {
        Topology.Names names = this.topology.names();
        names.queues().forEach(this.admin::deleteQueue);
        names.exchanges().forEach(this.admin::deleteExchange);
    }

    @Override
    public void start() {
        declare();
        this.connectionFactory.addConnectionListener(this);
        this.running = true;
    }

    @Override
    public void onCreate(Connection connection) {
        if (!this.running) {
            return;
        }
        try {
            declare();
        }
        catch (AmqpException ex) {
            log.warn("Could not redeclare the topology on a new connection: {}", ex.getMessage());
        }
    }

    @Override
    public void stop() {
        this.running = false;
    }

    /** With {@code tally.topology.delete-on-close}, deletes the whole topology (tests only). */
    @Override
    public void destroy() {
        if (this.topology.properties().deleteOnClose()) {
            try {
                deleteAll();
            }
            catch (AmqpException ex) {
                log.warn("Could not delete the topology on close: {}", ex.getMessage());
            }
        }
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
