package io.tally.topology;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.Declarable;
import org.springframework.amqp.core.Queue;

import io.tally.contract.EventDescriptor;
import io.tally.fixtures.Happened;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class TopologyTests {

    final Topology topology = new Topology(new TopologyProperties("inventory", "p.", List.of("inventory.events"), 5,
            List.of(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(1)), 1000, false));

    @Test
    void workQueuesAreQuorumQueuesWithAnExplicitDeliveryLimitAndAnAtLeastOnceDeadLetterExchange() {
        this.topology.consume(EventDescriptor.of(Happened.class));
        Queue work = queue("p.inventory.test.happened");
        assertThat(work.isDurable()).isTrue();
        assertThat(work.getArguments()).containsAllEntriesOf(Map.of("x-queue-type", "quorum", "x-delivery-limit", 5,
                "x-dead-letter-exchange", "p.inventory.dlx", "x-dead-letter-routing-key", "p.inventory.test.happened",
                "x-dead-letter-strategy", "at-least-once", "x-overflow", "reject-publish"));
    }

    @Test
    void eachWorkQueueHasAQuarantineThatDeadLettersIntoTheWorkQueuesDeadLetterQueue() {
        this.topology.consume(EventDescriptor.of(Happened.class));
        assertThat(queue("p.inventory.test.happened.quarantine").getArguments()).containsAllEntriesOf(Map.of(
                "x-queue-type", "quorum", "x-delivery-limit", 5, "x-dead-letter-exchange", "p.inventory.dlx",
                "x-dead-letter-routing-key", "p.inventory.test.happened", "x-dead-letter-strategy", "at-least-once"));
        assertThat(this.topology.isQuarantine("p.inventory.test.happened.quarantine")).isTrue();
        assertThat(this.topology.isQuarantine("p.inventory.test.happened")).isFalse();
    }

    @Test
    void eachRetryTierHasOneFixedTtlAndDeadLettersBackToItsWorkQueue() {
        this.topology.consume(EventDescriptor.of(Happened.class));
        assertThat(queue("p.inventory.test.happened.retry.1s").getArguments()).containsEntry("x-message-ttl", 1000)
            .containsEntry("x-dead-letter-exchange", "")
            .containsEntry("x-dead-letter-routing-key", "p.inventory.test.happened")
            .containsEntry("x-queue-type", "quorum");
        assertThat(queue("p.inventory.test.happened.retry.10s").getArguments()).containsEntry("x-message-ttl", 10_000);
        assertThat(queue("p.inventory.test.happened.retry.1m").getArguments()).containsEntry("x-message-ttl", 60_000);
        assertThat(this.topology.retryQueue("p.inventory.test.happened", 1)).isEqualTo("p.inventory.test.happened.retry.1s");
        assertThat(this.topology.retryQueue("p.inventory.test.happened", 3)).isEqualTo("p.inventory.test.happened.retry.1m");
        assertThat(this.topology.retryQueue("p.inventory.test.happened", 7)).as("the last tier repeats")
            .isEqualTo("p.inventory.test.happened.retry.1m");
    }

    @Test
    void theDeadLetterQueueIsBoundToTheServiceDeadLetterExchangeWithTheWorkQueueName() {
        this.topology.consume(EventDescriptor.of(Happened.class));
        assertThat(queue("p.inventory.test.happened.dlq").getArguments()).containsEntry("x-delivery-limit", 1000)
            .doesNotContainKey("x-dead-letter-exchange");
        assertThat(this.topology.declarables()).filteredOn(Binding.class::isInstance)
            .map(Binding.class::cast)
            .anySatisfy(b -> {
                assertThat(b.getExchange()).isEqualTo("p.inventory.dlx");
                assertThat(b.getDestination()).isEqualTo("p.inventory.test.happened.dlq");
                assertThat(b.getRoutingKey()).isEqualTo("p.inventory.test.happened");
            })
            .anySatisfy(b -> {
                assertThat(b.getExchange()).isEqualTo("p.test.events");
                assertThat(b.getRoutingKey()).isEqualTo("test.happened");
            });
    }

    @Test
    void twoServicesDeclareASharedExchangeIdentically() {
        Topology other = new Topology(new TopologyProperties("order", "p.", List.of("test.events"), 5,
                List.of(Duration.ofSeconds(1)), 1000, false));
        this.topology.consume(EventDescriptor.of(Happened.class));
        Declarable mine = this.topology.declarables().stream()
            .filter(d -> d instanceof org.springframework.amqp.core.Exchange e && e.getName().equals("p.test.events"))
            .findFirst().orElseThrow();
        Declarable theirs = other.declarables().stream()
            .filter(d -> d instanceof org.springframework.amqp.core.Exchange e && e.getName().equals("p.test.events"))
            .findFirst().orElseThrow();
        org.springframework.amqp.core.Exchange a = (org.springframework.amqp.core.Exchange) mine;
        org.springframework.amqp.core.Exchange b = (org.springframework.amqp.core.Exchange) theirs;
        assertThat(a.getType()).isEqualTo(b.getType()).isEqualTo("topic");
        assertThat(a.isDurable()).isEqualTo(b.isDurable()).isTrue();
        assertThat(a.getArguments()).isEqualTo(b.getArguments());
    }

    @Test
    void aTopologyWithoutServiceOrWithoutRetryTiersIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(
                () -> new TopologyProperties(" ", "", List.of(), 5, List.of(Duration.ofSeconds(1)), 1000, false))
            .withMessageContaining("tally.topology.service");
        assertThatIllegalArgumentException().isThrownBy(
                () -> new TopologyProperties("x", "", List.of(), 5, List.of(), 1000, false))
            .withMessageContaining("retry-delays");
        assertThatIllegalArgumentException().isThrownBy(
                () -> new TopologyProperties("x", "", List.of(), 0, List.of(Duration.ofSeconds(1)), 1000, false))
            .withMessageContaining("delivery-limit");
    }

    private Queue queue(String name) {
        return this.topology.declarables().stream()
            .filter(d -> d instanceof Queue q && q.getName().equals(name))
            .map(Queue.class::cast)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no queue " + name + " in " + this.topology.names()));
    }
}
