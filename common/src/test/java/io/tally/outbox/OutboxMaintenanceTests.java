package io.tally.outbox;

import java.time.Duration;
import java.time.Instant;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.jdbc.OwnTransaction;
import io.tally.jdbc.SqlTime;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What keeps the outbox flat as it grows: gauges that count by index up to a cap (never the whole table), a purge
 * of DISCARDED rows after their retention, and the library's own transactions at READ COMMITTED whatever the
 * service's pool uses (MariaDB's and MySQL's default is REPEATABLE READ, whose next-key locks would let a purge
 * block the inserts of business transactions).
 */
@TestPropertySource(properties = { "tally.outbox.metrics-count-cap=10", "tally.outbox.discarded-retention=1d" })
class OutboxMaintenanceTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Autowired
    OutboxRelay relay;

    @Autowired
    OutboxMonitor monitor;

    @Autowired
    MeterRegistry meters;

    @Autowired
    DataSource dataSource;

    @Test
    void theBacklogGaugeCountsUpToItsCapAndTheOldestPendingAge() {
        this.relay.stop();
        try {
            for (int i = 0; i < 30; i++) {
                String aggregate = "gauged-" + i + "-" + newId();
                this.transaction.executeWithoutResult(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
            }
            this.clock.advance(Duration.ofSeconds(5));
            this.monitor.refresh();

            assertThat(this.meters.get("tally.outbox.rows").tag("status", "PENDING").gauge().value())
                .as("counted up to the cap").isEqualTo(10);
            assertThat(this.meters.get("tally.outbox.oldest.pending.age").gauge().value()).isGreaterThanOrEqualTo(5);
        }
        finally {
            this.relay.start();
        }
        eventually().until(() -> outboxRows("PENDING") == 0);
    }

    @Test
    void discardedRowsArePurgedAfterTheirRetentionAndRecentOnesKept() {
        long old = discardedRow(this.clock.instant().minus(Duration.ofDays(2)));
        long recent = discardedRow(this.clock.instant().minus(Duration.ofHours(1)));

        this.monitor.purge();

        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_outbox WHERE id = ?", Integer.class, old)).isZero();
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_outbox WHERE id = ?", Integer.class, recent)).isOne();
    }

    @Test
    void theLibrarysOwnTransactionsRunAtReadCommittedWhateverThePoolUses() {
        // MySQL 8 names it transaction_isolation; MariaDB 10.11, tx_isolation
        String variable = this.jdbc.queryForList("SHOW VARIABLES LIKE 'transaction_isolation'").isEmpty() ? "tx_isolation"
                : "transaction_isolation";
        String isolation = OwnTransaction.template(this.dataSource).execute(s -> this.jdbc.queryForObject(
                "SELECT @@session." + variable, String.class));
        assertThat(isolation).isEqualTo("READ-COMMITTED");
    }

    private long discardedRow(Instant written) {
        String at = SqlTime.of(written);
        this.jdbc.update("""
                INSERT INTO tally_outbox (message_id, aggregate_id, exchange_name, routing_key, event_type, schema_version,
                    payload, status, attempts, next_attempt_at, created_at)
                VALUES (?, ?, 'x', 'test.happened', 'test.happened', 1, ?, 'DISCARDED', 3, ?, ?)""",
                newId(), "discarded-" + newId(), "{}".getBytes(), at, at);
        return this.jdbc.queryForObject("SELECT MAX(id) FROM tally_outbox", Long.class);
    }
}
