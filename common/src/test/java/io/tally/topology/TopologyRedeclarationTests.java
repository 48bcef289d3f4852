package io.tally.topology;

import org.junit.jupiter.api.Test;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.beans.factory.annotation.Autowired;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.outbox.Outbox;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broker that lost the topology (a node rebuilt, a queue deleted by hand) gets it back on the next connection:
 * the declarer listens for new connections and declares everything again, before traffic flows.
 */
class TopologyRedeclarationTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Test
    void theTopologyIsDeclaredAgainOnANewConnectionAndMessagesFlow() {
        RabbitAdmin admin = new RabbitAdmin(this.connectionFactory);
        String tier = this.topology.retryQueue(workQueue(), 1);
        String dlq = this.topology.deadLetterQueue(workQueue());
        assertThat(admin.deleteQueue(tier)).isTrue();
        assertThat(admin.deleteQueue(dlq)).isTrue();
        assertThat(admin.getQueueProperties(tier)).isNull();

        ((CachingConnectionFactory) this.connectionFactory).resetConnection();

        eventually().until(() -> admin.getQueueProperties(tier) != null && admin.getQueueProperties(dlq) != null);
        String aggregate = "after-reset-" + newId();
        String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
        eventually().until(() -> effectsOf(messageId) == 1);
    }
}
