package io.tally.inbox;

import java.time.Instant;

import javax.sql.DataSource;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** Reaches the package-private dedup store from other test packages. */
public final class InboxGuard {

    private InboxGuard() {
    }

    /** Records a handled message as the consumer chain does, in whatever transaction is in progress. */
    public static boolean record(DataSource dataSource, String consumer, String messageId) {
        return new InboxStore(new JdbcTemplate(dataSource), new TransactionTemplate(new JdbcTransactionManager(dataSource)))
            .record(consumer, messageId, Instant.now());
    }
}
