package io.tally.outbox;

import org.junit.jupiter.api.Test;

import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;

import io.tally.deadletter.DeadLetterAutoConfiguration;
import io.tally.inbox.InboxAutoConfiguration;
import io.tally.topology.Topology;
import io.tally.topology.TopologyAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the auto-configuration creates, and what it refuses, without starting anything (nothing connects).
 */
class OutboxAutoConfigurationTests {

    final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(RabbitAutoConfiguration.class, DataSourceAutoConfiguration.class,
                DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
                JacksonAutoConfiguration.class, TopologyAutoConfiguration.class, OutboxAutoConfiguration.class,
                InboxAutoConfiguration.class, DeadLetterAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=jdbc:mysql://127.0.0.1:1/never-connected",
                "spring.rabbitmq.port=1");

    @Test
    void nothingOfTallyWithoutAServiceName() {
        this.runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(Topology.class).doesNotHaveBean(Outbox.class)
                .doesNotHaveBean(OutboxRelay.class);
        });
    }

    @Test
    void aServiceGetsTheOutboxTheRelayAndTheConsumerChainFromPropertiesAlone() {
        this.runner.withPropertyValues("tally.topology.service=orders",
                "spring.rabbitmq.publisher-confirm-type=correlated", "spring.rabbitmq.publisher-returns=true")
            .run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context).hasSingleBean(Outbox.class).hasSingleBean(OutboxRelay.class)
                    .hasSingleBean(OutboxDeadRows.class).hasSingleBean(io.tally.inbox.ConsumerContainers.class)
                    .hasSingleBean(io.tally.deadletter.DeadLetterOperations.class);
                assertThat(context.getBean(OutboxProperties.class).batchSize()).isEqualTo(200);
            });
    }

    @Test
    void startUpFailsWhenPublisherConfirmsAreNotCorrelated() {
        this.runner.withPropertyValues("tally.topology.service=orders", "spring.rabbitmq.publisher-confirm-type=simple",
                "spring.rabbitmq.publisher-returns=true")
            .run(context -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("spring.rabbitmq.publisher-confirm-type=correlated"));
    }

    @Test
    void startUpFailsWhenReturnsAreNotEnabled() {
        this.runner.withPropertyValues("tally.topology.service=orders",
                "spring.rabbitmq.publisher-confirm-type=correlated")
            .run(context -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("spring.rabbitmq.publisher-returns=true"));
    }

    @Test
    void aLeaseShorterThanTwoConfirmTimeoutsIsRefused() {
        this.runner.withPropertyValues("tally.topology.service=orders",
                "spring.rabbitmq.publisher-confirm-type=correlated", "spring.rabbitmq.publisher-returns=true",
                "tally.outbox.lease=5s", "tally.outbox.confirm-timeout=10s")
            .run(context -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("tally.outbox.lease"));
    }
}
