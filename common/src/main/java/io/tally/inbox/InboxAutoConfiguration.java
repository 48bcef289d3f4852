package io.tally.inbox;

import java.time.Clock;
import java.util.HashSet;
import java.util.Set;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.ResolvableType;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.confirm.PublisherConfirms;
import io.tally.contract.EventDescriptor;
import io.tally.maintenance.PeriodicTask;
import io.tally.outbox.OutboxAutoConfiguration;
import io.tally.retry.FailureClassifier;
import io.tally.retry.Rerouter;
import io.tally.topology.Topology;
import io.tally.topology.TopologyAutoConfiguration;

/**
 * The idempotent consumer chain for every {@link EventHandler} bean. Active once
 * {@code tally.topology.service} is set.
 */
@AutoConfiguration(after = { TopologyAutoConfiguration.class, OutboxAutoConfiguration.class,
        RabbitAutoConfiguration.class, DataSourceAutoConfiguration.class, TransactionAutoConfiguration.class,
        JacksonAutoConfiguration.class })
@ConditionalOnClass(RabbitTemplate.class)
@ConditionalOnProperty(prefix = "tally.topology", name = "service")
@EnableConfigurationProperties(ConsumerProperties.class)
public final class InboxAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(InboxAutoConfiguration.class);

    @Bean
    @ConditionalOnMissingBean
    InboxStore tallyInboxStore(DataSource dataSource) {
        return new InboxStore(new JdbcTemplate(dataSource),
                io.tally.jdbc.OwnTransaction.template(dataSource));
    }

    /** Re-routes failed messages; shared with the compensation consumer. */
    @Bean
    @ConditionalOnMissingBean
    Rerouter tallyRerouter(ConnectionFactory connectionFactory, Topology topology, Clock clock,
            ConsumerProperties properties) {
        return new Rerouter(PublisherConfirms.template(connectionFactory), topology, clock, properties.confirmTimeout());
    }

    @Bean(destroyMethod = "destroy")
    @ConditionalOnMissingBean
    ConsumerContainers tallyConsumerContainers(ConfigurableListableBeanFactory beans, Topology topology,
            ConnectionFactory connectionFactory, ConsumerProperties properties, JsonMapper json,
            PlatformTransactionManager transactionManager, InboxStore inbox, Rerouter rerouter, Clock clock,
            ObjectProvider<MeterRegistry> registry, ObjectProvider<ObservationRegistry> observations) {
        PublisherConfirms.requireCorrelated(connectionFactory, "The consumer chain (to re-route failed messages safely)");
        MeterRegistry meters = registry.getIfAvailable(SimpleMeterRegistry::new);
        // messages are read as written whatever the application does with its own JSON
        JsonMapper messages = io.tally.contract.StrictJson.strict(json);
        ObservationRegistry observationRegistry = observations.getIfAvailable(() -> ObservationRegistry.NOOP);
        FailureClassifier classifier = new FailureClassifier(properties.nonRetryable());
        int maxAttempts = properties.maxAttempts() > 0 ? properties.maxAttempts()
                : topology.properties().retryDelays().size() + 1;
        TransactionTemplate transaction = new TransactionTemplate(transactionManager);
        ConsumerContainers containers = new ConsumerContainers(properties.enabled());
        Set<String> queues = new HashSet<>();
        for (String name : beans.getBeanNamesForType(EventHandler.class)) {
            EventHandler<?> handler = beans.getBean(name, EventHandler.class);
            Class<?> eventClass = ResolvableType.forClass(AopUtils.getTargetClass(handler))
                .as(EventHandler.class)
                .getGeneric(0)
                .resolve();
            if (eventClass == null) {
                // a lambda or a @Bean method: the generic type is the bean definition's
                eventClass = beans.getMergedBeanDefinition(name).getResolvableType().as(EventHandler.class)
                    .getGeneric(0)
                    .resolve();
            }
            if (eventClass == null) {
                throw new IllegalStateException(handler.getClass().getName()
                        + " must implement EventHandler<E> with a concrete event type");
            }
            EventDescriptor event = EventDescriptor.of(eventClass);
            String queue = topology.workQueue(event);
            if (!queues.add(queue)) {
                throw new IllegalStateException("Two handlers for '" + event.name() + "' in service '"
                        + topology.properties().service() + "': each event has one handler per service");
            }
            topology.consume(event);
            ReliableListener<?> listener = listener(queue, event, handler, messages, transaction, inbox, classifier,
                    rerouter, maxAttempts, clock, meters, observationRegistry, properties.aggregateLogKey());
            containers.add(connectionFactory, queue, listener, properties.concurrency(), properties.prefetch());
            // the same chain (and dedup key) for the quarantine: one message at a time, so a crash hits only it
            containers.add(connectionFactory, topology.quarantineQueue(queue), listener, 1, 1);
            log.info("Consuming '{}' from queue {} with {} attempts", event.name(), queue, maxAttempts);
        }
        return containers;
    }

    @SuppressWarnings({ "unchecked", "rawtypes" })
    private static ReliableListener<?> listener(String queue, EventDescriptor event, EventHandler<?> handler,
            JsonMapper json, TransactionTemplate transaction, InboxStore inbox, FailureClassifier classifier,
            Rerouter rerouter, int maxAttempts, Clock clock, MeterRegistry meters, ObservationRegistry observations,
            String aggregateLogKey) {
        return new ReliableListener(queue, event, handler, json, transaction, inbox, classifier, rerouter,
                maxAttempts, clock, meters, observations, aggregateLogKey);
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyInboxPurger")
    PeriodicTask tallyInboxPurger(InboxStore inbox, ConsumerProperties properties, Clock clock) {
        return new PeriodicTask("tally-inbox-purge", properties.purgeInterval(), properties.purgeInterval(), () -> {
            while (inbox.purge(clock.instant().minus(properties.inboxRetention()), 5000) == 5000) {
                // bounded batches until done
            }
        }, true);
    }
}
