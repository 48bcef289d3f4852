package io.tally.deadletter;

import java.time.Clock;
import java.util.List;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.deadletter.web.DeadLetterController;
import io.tally.inbox.ConsumerContainers;
import io.tally.inbox.InboxAutoConfiguration;
import io.tally.maintenance.PeriodicTask;
import io.tally.metrics.TableGauge;
import io.tally.outbox.OutboxAutoConfiguration;
import io.tally.outbox.OutboxDeadRows;
import io.tally.retry.Rerouter;
import io.tally.topology.Topology;

/**
 * The compensation consumer over every dead-letter queue of this service, the re-driver, and the operator
 * API. Active once {@code tally.topology.service} is set.
 */
@AutoConfiguration(after = { InboxAutoConfiguration.class, OutboxAutoConfiguration.class })
@ConditionalOnClass(RabbitTemplate.class)
@ConditionalOnProperty(prefix = "tally.topology", name = "service")
@EnableConfigurationProperties(DeadLetterProperties.class)
public final class DeadLetterAutoConfiguration {

    /** After the work-queue consumers. */
    static final int PHASE = ConsumerContainers.PHASE + 1;

    @Bean
    @ConditionalOnMissingBean
    DeadLetterStore tallyDeadLetterStore(DataSource dataSource) {
        return new DeadLetterStore(JdbcClient.create(dataSource));
    }

    @Bean
    @ConditionalOnMissingBean
    DeadLetterMessages tallyDeadLetterMessages(JsonMapper json) {
        return new DeadLetterMessages(json);
    }

    @Bean
    @ConditionalOnMissingBean
    DeadLetterQueues tallyDeadLetterQueues(ConsumerContainers consumers, Topology topology,
            ConnectionFactory connectionFactory, DeadLetterStore store, DataSource dataSource,
            DeadLetterProperties properties, JsonMapper json, Clock clock, ObjectProvider<MeterRegistry> registry,
            Rerouter rerouter) {
        List<String> queues = topology.workQueues().stream().map(topology::deadLetterQueue).toList();
        DeadLetterRecorder recorder = new DeadLetterRecorder(store,
                transaction(dataSource), properties, json, clock,
                topology.properties().deliveryLimit(), registry.getIfAvailable(SimpleMeterRegistry::new), topology,
                rerouter);
        return new DeadLetterQueues(connectionFactory, queues, recorder, properties.enabled());
    }

    @Bean
    @ConditionalOnMissingBean
    DeadLetterRedriver tallyDeadLetterRedriver(DeadLetterStore store, DataSource dataSource,
            Rerouter rerouter, DeadLetterMessages messages, DeadLetterProperties properties, Clock clock,
            ObjectProvider<MeterRegistry> registry) {
        DeadLetterRedriver redriver = new DeadLetterRedriver(store, transaction(dataSource), rerouter, messages,
                properties, clock);
        redriver.bindTo(registry.getIfAvailable(SimpleMeterRegistry::new));
        return redriver;
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyDeadLetterRedrive")
    PeriodicTask tallyDeadLetterRedrive(DeadLetterRedriver redriver, DeadLetterProperties properties) {
        return new PeriodicTask("tally-dead-letter-redrive", properties.pollInterval(), properties.pollInterval(), () -> {
            redriver.redriveDue();
            redriver.refreshCounts();
        }, properties.enabled());
    }

    /**
     * {@code tally.dead.letters.open{queue, status}}: the dead letters of each queue waiting for a re-drive
     * (SCHEDULED) or for an operator (PARKED). Table-wide: aggregate it with {@code max}.
     */
    @Bean
    @ConditionalOnMissingBean(name = "tallyOpenDeadLetters")
    @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
    TableGauge tallyOpenDeadLetters(DeadLetterStore store) {
        return new TableGauge("tally.dead.letters.open",
                "Dead letters waiting for a re-drive (SCHEDULED) or an operator (PARKED), by source queue", List.of(),
                store::openByQueue);
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyDeadLetterPurge")
    PeriodicTask tallyDeadLetterPurge(DeadLetterStore store, DeadLetterProperties properties, Clock clock,
            DataSource dataSource) {
        TransactionTemplate own = transaction(dataSource);
        return new PeriodicTask("tally-dead-letter-purge", properties.purgeInterval(), properties.purgeInterval(), () -> {
            java.time.Instant now = clock.instant();
            store.purge(now.minus(properties.retention()), now.minus(properties.actionRetention()), own);
        }, properties.enabled());
    }

    @Bean
    @ConditionalOnMissingBean
    DeadLetterOperations tallyDeadLetterOperations(DeadLetterStore store, OutboxDeadRows outbox, Rerouter rerouter,
            DeadLetterMessages messages, DataSource dataSource, Clock clock) {
        return new DeadLetterOperations(store, outbox, rerouter, messages, transaction(dataSource), clock);
    }

    private static TransactionTemplate transaction(DataSource dataSource) {
        return io.tally.jdbc.OwnTransaction.template(dataSource);
    }

    /**
     * The operator's dead-letter endpoints ({@code /api/admin/dead-letters}) and an aggregate's event trail
     * ({@code /api/admin/events}), in a servlet application that enabled
     * the operator chain which guards them ({@code tally.operator.enabled}).
     */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.web.servlet.DispatcherServlet")
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty("tally.operator.enabled")
    static class Web {

        @Bean
        @ConditionalOnMissingBean
        DeadLetterController tallyDeadLetterController(DeadLetterOperations operations) {
            return new DeadLetterController(operations);
        }

        @Bean
        @ConditionalOnMissingBean
        io.tally.deadletter.web.EventTrailController tallyEventTrailController(DataSource dataSource, Topology topology) {
            return new io.tally.deadletter.web.EventTrailController(JdbcClient.create(dataSource), topology);
        }
    }

    /** The container reading every dead-letter queue, raw and with manual acknowledgement. */
    static final class DeadLetterQueues implements SmartLifecycle {

        private final SimpleMessageListenerContainer container;

        private final boolean autoStartup;

        DeadLetterQueues(ConnectionFactory connectionFactory, List<String> queues, DeadLetterRecorder recorder,
                boolean autoStartup) {
            this.autoStartup = autoStartup && !queues.isEmpty();
            this.container = new SimpleMessageListenerContainer(connectionFactory);
            if (!queues.isEmpty()) {
                this.container.setQueueNames(queues.toArray(String[]::new));
            }
            this.container.setAcknowledgeMode(AcknowledgeMode.MANUAL);
            this.container.setPrefetchCount(10);
            this.container.setDefaultRequeueRejected(false);
            this.container.setMessageListener(recorder);
            this.container.setAutoStartup(false);
            this.container.setBeanName("tally-dead-letter-recorder");
            this.container.afterPropertiesSet();
        }

        @Override
        public void start() {
            this.container.start();
        }

        @Override
        public void stop() {
            this.container.stop();
        }

        @Override
        public boolean isRunning() {
            return this.container.isRunning();
        }

        @Override
        public boolean isAutoStartup() {
            return this.autoStartup;
        }

        @Override
        public int getPhase() {
            return PHASE;
        }
    }
}
