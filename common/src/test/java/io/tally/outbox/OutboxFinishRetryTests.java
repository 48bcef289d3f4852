package io.tally.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.fixtures.TallyTestApplication;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A lock wait or a deadlock while the relay marks a confirmed batch SENT is retried at once, as the claim is;
 * it does not abandon the batch to its lease. Before, the batch stayed PENDING under the lease, to be published a
 * second time once the lease expired: a minute late with the default lease (the outbox benchmark saw one row take
 * 60.3 s).
 */
@SpringBootTest(classes = TallyTestApplication.class,
        properties = "spring.datasource.hikari.connection-init-sql=SET SESSION innodb_lock_wait_timeout = 1")
class OutboxFinishRetryTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Autowired
    DataSource dataSource;

    @Autowired
    MeterRegistry meters;

    /** The server's count of row lock waits so far ({@code Innodb_row_lock_waits}, MySQL and MariaDB alike). */
    private long rowLockWaits() {
        return this.jdbc.queryForObject("SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_waits'", (rs, n) -> rs.getLong(2));
    }

    private double duplicates() {
        return this.meters.get("tally.consumer.messages").tag("outcome", "duplicate").counter().count();
    }

    @Test
    void aLockWaitWhileMarkingSentIsRetriedNotLeftToTheLease() throws Exception {
        AtomicBoolean locked = new AtomicBoolean();
        AtomicReference<Throwable> lockFailure = new AtomicReference<>();
        CountDownLatch holding = new CountDownLatch(1);
        this.relayHooks.onBeforeFinish(confirmed -> {
            if (!locked.compareAndSet(false, true)) {
                return;
            }
            // another transaction holds the rows past the relay's lock wait (1 s): its first UPDATE fails. The lock
            // is let go once the server has counted a second wait for it, the relay's retry.
            Thread.ofPlatform().start(() -> {
                try (Connection connection = this.dataSource.getConnection()) {
                    connection.setAutoCommit(false);
                    try (PreparedStatement lock = connection.prepareStatement(
                            "SELECT id FROM tally_outbox WHERE message_id = ? FOR UPDATE")) {
                        lock.setString(1, confirmed.get(0).messageId());
                        lock.executeQuery().close();
                    }
                    long waitsBefore = rowLockWaits();
                    holding.countDown();
                    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                        .dontCatchUncaughtExceptions()
                        .until(() -> rowLockWaits() >= waitsBefore + 2);
                    connection.commit();
                }
                catch (Exception ex) {
                    lockFailure.set(ex);
                    holding.countDown();
                }
            });
            try {
                assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        double duplicatesBefore = duplicates();
        String aggregate = "order-" + newId();
        String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));

        // SENT once the lock is let go (after about 1 s), well before the lease (5 s) could hand the row to a new claim
        Awaitility.await().atMost(Duration.ofMillis(4_500)).pollInterval(Duration.ofMillis(50))
            .dontCatchUncaughtExceptions() // a channel of an earlier test's context closing says nothing of this one
            .until(() -> "SENT".equals(this.jdbc.queryForObject(
                    "SELECT status FROM tally_outbox WHERE message_id = ?", String.class, messageId)));
        assertThat(lockFailure.get()).isNull();
        assertThat(locked).isTrue();
        eventually().until(() -> effectsOf(messageId) == 1);
        // and never published a second time: past the lease, the consumer has seen no duplicate
        Awaitility.await().during(Duration.ofSeconds(7)).atMost(Duration.ofSeconds(10)).dontCatchUncaughtExceptions()
            .until(() -> duplicates() == duplicatesBefore);
        assertThat(this.handler.invocations()).as("handled once").hasSize(1);
    }
}
