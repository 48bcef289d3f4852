package io.tally.outbox;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.dao.PessimisticLockingFailureException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.confirm.PublisherConfirms;
import io.tally.maintenance.PeriodicTask;
import io.tally.topology.Topology;
import io.tally.topology.TopologyAutoConfiguration;

/**
 * The transactional outbox and its relay. Active once {@code tally.topology.service} is set; the relay
 * refuses to start unless publisher confirms are correlated and returns are enabled.
 */
@AutoConfiguration(after = { TopologyAutoConfiguration.class, RabbitAutoConfiguration.class,
        DataSourceAutoConfiguration.class, JacksonAutoConfiguration.class })
@ConditionalOnClass({ RabbitTemplate.class, JdbcClient.class })
@ConditionalOnProperty(prefix = "tally.topology", name = "service")
@EnableConfigurationProperties(OutboxProperties.class)
public final class OutboxAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    OutboxStore tallyOutboxStore(DataSource dataSource) {
        return new OutboxStore(JdbcClient.create(dataSource), new JdbcTemplate(dataSource),
                io.tally.jdbc.OwnTransaction.template(dataSource));
    }

    @Bean
    @ConditionalOnMissingBean
    OutboxMonitor tallyOutboxHealthIndicator(OutboxStore store, OutboxProperties properties, Clock clock,
            ObjectProvider<MeterRegistry> registry) {
        return new OutboxMonitor(store, properties, clock, registry.getIfAvailable(SimpleMeterRegistry::new));
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyOutboxGauges")
    PeriodicTask tallyOutboxGauges(OutboxMonitor monitor, OutboxProperties properties) {
        return new PeriodicTask("tally-outbox-gauges", Duration.ZERO, properties.metricsInterval(), monitor::refresh, true);
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyOutboxPurge")
    PeriodicTask tallyOutboxPurge(OutboxMonitor monitor, OutboxProperties properties) {
        return new PeriodicTask("tally-outbox-purge", properties.purgeInterval(), properties.purgeInterval(),
                monitor::purge, true);
    }

    @Bean
    @ConditionalOnMissingBean
    OutboxRelay tallyOutboxRelay(OutboxStore store, DataSource dataSource, ConnectionFactory connectionFactory,
            OutboxProperties properties, Topology topology, Clock clock, JsonMapper json, OutboxMonitor monitor,
            ObjectProvider<OutboxListener> listeners) {
        PublisherConfirms.requireCorrelated(connectionFactory, "The outbox relay");
        List<OutboxListener> all = new java.util.ArrayList<>();
        all.add(monitor);
        listeners.orderedStream().filter(l -> l != monitor).forEach(all::add);
        return newRelay(store, dataSource, connectionFactory, properties, clock, instanceId(topology),
                topology.properties().service(), json, new CompositeOutboxListener(all));
    }

    /** A relay; the bean above is this instance's, tests build more to play other instances. */
    static OutboxRelay newRelay(OutboxStore store, DataSource dataSource, ConnectionFactory connectionFactory,
            OutboxProperties properties, Clock clock, String instanceId, String appId, JsonMapper json,
            OutboxListener listener) {
        RabbitTemplate rabbit = PublisherConfirms.template(connectionFactory);
        TransactionTemplate claim = new TransactionTemplate(new JdbcTransactionManager(dataSource));
        claim.setIsolationLevel(TransactionDefinition.ISOLATION_READ_COMMITTED);
        claim.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        RetryTemplate claimRetry = new RetryTemplate(RetryPolicy.builder()
            .includes(PessimisticLockingFailureException.class)
            .maxRetries(5)
            .delay(java.time.Duration.ofMillis(5))
            .multiplier(2)
            .jitter(java.time.Duration.ofMillis(5))
            // with the server's default lock wait (50 s) a few tries could outlast the lease the finish relies on
            .timeout(properties.lease().dividedBy(2))
            .build());
        return new OutboxRelay(store, claim, claimRetry, rabbit, properties, clock, instanceId, appId, json, listener);
    }

    @Bean
    @ConditionalOnMissingBean
    Outbox tallyOutbox(OutboxStore store, JsonMapper json, Clock clock, Topology topology, OutboxRelay relay,
            ObjectProvider<TraceHeaders> traceHeaders) {
        return new JdbcOutbox(store, json, clock, topology.properties().prefix(), relay::wakeUp,
                traceHeaders.getIfAvailable(() -> TraceHeaders.NONE));
    }

    @Bean
    @ConditionalOnMissingBean
    OutboxDeadRows tallyOutboxDeadRows(DataSource dataSource, Clock clock, OutboxRelay relay) {
        return new OutboxDeadRows(JdbcClient.create(dataSource), clock, relay::wakeUp);
    }

    static String instanceId(Topology topology) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        }
        catch (UnknownHostException ex) {
            host = "unknown";
        }
        return topology.properties().service() + "@" + host + ":" + ManagementFactory.getRuntimeMXBean().getPid()
                + ":" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Carries the current trace context into outbox rows when Micrometer Tracing is present. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({ Tracer.class, Propagator.class })
    static class TracingConfiguration {

        @Bean
        @ConditionalOnMissingBean
        TraceHeaders tallyTraceHeaders(ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator) {
            return () -> {
                Tracer t = tracer.getIfAvailable();
                Propagator p = propagator.getIfAvailable();
                Span span = t != null ? t.currentSpan() : null;
                if (span == null || p == null) {
                    return Map.of();
                }
                Map<String, String> headers = new HashMap<>();
                p.inject(span.context(), headers, Map::put);
                return headers;
            };
        }
    }
}
