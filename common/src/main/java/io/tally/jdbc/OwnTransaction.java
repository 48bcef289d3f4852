package io.tally.jdbc;

import java.sql.SQLException;

import javax.sql.DataSource;

import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The guard of the writes that must commit with the caller's work (an outbox row, a dedup row): the transaction
 * in progress must hold a connection of the given DataSource, in a transaction (auto-commit off). A transaction
 * on another resource is refused: the write would otherwise commit on its own, or be lost, whatever became of the
 * caller's transaction.
 */
public final class OwnTransaction {

    private OwnTransaction() {
    }

    /**
     * @param what what needs the transaction, for the message
     * @throws IllegalTransactionStateException when there is no transaction, or it does not hold a transactional
     * connection of {@code dataSource}
     */
    public static void require(DataSource dataSource, String what) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalTransactionStateException(what + " must run inside a transaction: it is written together "
                    + "with the state change it belongs to");
        }
        if (!(TransactionSynchronizationManager.getResource(dataSource) instanceof ConnectionHolder holder)
                || autoCommit(holder)) {
            throw new IllegalTransactionStateException(what + " must run inside a transaction of its own DataSource ("
                    + "a transaction manager of that DataSource, or JPA's with it): the transaction in progress holds "
                    + "no transactional connection of it, so the write would commit apart from the caller's work");
        }
    }

    /**
     * The transactions the library runs on its own (claims, finishes, purges, dead letters, idempotency keys): new
     * ones, READ COMMITTED whatever the service's pool sets, so that under MySQL's default REPEATABLE READ a purge
     * takes no next-key locks that would block the inserts of business transactions.
     */
    public static org.springframework.transaction.support.TransactionTemplate template(DataSource dataSource) {
        org.springframework.transaction.support.TransactionTemplate template = new org.springframework.transaction.support.TransactionTemplate(
                new org.springframework.jdbc.support.JdbcTransactionManager(dataSource));
        template.setIsolationLevel(org.springframework.transaction.TransactionDefinition.ISOLATION_READ_COMMITTED);
        template.setPropagationBehavior(org.springframework.transaction.TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        return template;
    }

    private static boolean autoCommit(ConnectionHolder holder) {
        try {
            return holder.getConnection().getAutoCommit();
        }
        catch (SQLException ex) {
            throw new IllegalTransactionStateException("Cannot read the transaction's connection: " + ex.getMessage());
        }
    }
}
