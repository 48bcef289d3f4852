package io.tally.outbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.testing.TcpProxy;
import io.tally.testing.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An outage of the broker is not the rows' fault: the service reaches the broker through a proxy that is cut for
 * longer than the sum of every backoff a row has (50 + 100 + 200 ms, DEAD at the fourth failure). No attempt is
 * charged meanwhile, nothing goes DEAD, and once the broker answers again the backlog is published within
 * seconds.
 */
@TestPropertySource(properties = { "tally.outbox.max-attempts=4", "tally.outbox.broker-probe-interval=100ms" })
class OutboxBrokerOutageTests extends IntegrationTests {

    static final TcpProxy broker = TcpProxy.to(TestInfrastructure.servers().rabbitHost(),
            TestInfrastructure.servers().rabbitPort());

    @DynamicPropertySource
    static void throughTheProxy(DynamicPropertyRegistry registry) {
        // addresses take precedence over the host and port the base class registers
        registry.add("spring.rabbitmq.addresses", () -> "127.0.0.1:" + broker.port());
    }

    @AfterAll
    static void closeProxy() {
        broker.close();
    }

    @Autowired
    Outbox outbox;

    @Test
    void eventsWrittenDuringAnOutageLongerThanEveryBackoffArePublishedOnceTheBrokerIsBackWithNoAttemptCharged() {
        String before = publish("before-" + newId());
        eventually().until(() -> effectsOf(before) == 1);

        broker.down();
        List<String> during = new ArrayList<>();
        try {
            for (int i = 0; i < 30; i++) {
                during.add(publish("during-" + i + "-" + newId()));
            }
            // three seconds of outage, ten times the sum of the backoffs: no row is charged for it meanwhile
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < until) {
                assertThat(this.jdbc.queryForObject(
                        "SELECT COUNT(*) FROM tally_outbox WHERE attempts > 0 OR status = 'DEAD'", Integer.class))
                    .as("rows charged for the outage").isZero();
            }
            assertThat(outboxRows("SENT")).as("nothing could be published").isEqualTo(1);
        }
        finally {
            broker.up();
        }
        long back = System.nanoTime();
        eventually().atMost(Duration.ofSeconds(10)).until(() -> during.stream().allMatch(id -> effectsOf(id) == 1));
        Duration drained = Duration.ofNanos(System.nanoTime() - back);
        assertThat(drained).as("backlog drained after the broker returned").isLessThan(Duration.ofSeconds(5));
        assertThat(outboxRows("DEAD")).isZero();
        assertThat(this.jdbc.queryForObject("SELECT MAX(attempts) FROM tally_outbox", Integer.class)).isZero();
    }

    private String publish(String aggregate) {
        return this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
    }
}
