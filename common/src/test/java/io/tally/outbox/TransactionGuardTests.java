package io.tally.outbox;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.testing.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The outbox row and the dedup row commit with the caller's work only inside a transaction of their own
 * DataSource: a transaction of another resource is refused, not silently committed apart.
 */
class TransactionGuardTests extends IntegrationTests {

    @Autowired
    Outbox outbox;

    @Autowired
    DataSource dataSource;

    @Test
    void publishingInATransactionOfAnotherDataSourceIsRefusedAndWritesNothing() {
        TestInfrastructure.Servers servers = TestInfrastructure.servers();
        DriverManagerDataSource other = new DriverManagerDataSource(servers.jdbcUrl(TestInfrastructure.newDatabase()),
                servers.dbUser(), servers.dbPassword());
        TransactionTemplate otherTransaction = new TransactionTemplate(new JdbcTransactionManager(other));
        String aggregate = "elsewhere-" + newId();

        assertThatThrownBy(() -> otherTransaction.executeWithoutResult(
                s -> this.outbox.publish(aggregate, new Happened(aggregate, 0))))
            .isInstanceOf(IllegalTransactionStateException.class)
            .hasMessageContaining("its own DataSource");
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_outbox WHERE aggregate_id = ?", Integer.class,
                aggregate)).isZero();
    }

    @Test
    void theDedupRowIsRefusedInATransactionOfAnotherDataSource() {
        TestInfrastructure.Servers servers = TestInfrastructure.servers();
        DriverManagerDataSource other = new DriverManagerDataSource(servers.jdbcUrl(TestInfrastructure.newDatabase()),
                servers.dbUser(), servers.dbPassword());
        TransactionTemplate otherTransaction = new TransactionTemplate(new JdbcTransactionManager(other));

        assertThatThrownBy(() -> otherTransaction.executeWithoutResult(
                s -> io.tally.inbox.InboxGuard.record(this.dataSource, "q", newId())))
            .isInstanceOf(IllegalTransactionStateException.class)
            .hasMessageContaining("its own DataSource");
    }

    @Test
    void publishingInTheServicesOwnTransactionIsAccepted() {
        String aggregate = "own-" + newId();
        String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
        eventually().until(() -> effectsOf(messageId) == 1);
    }
}
