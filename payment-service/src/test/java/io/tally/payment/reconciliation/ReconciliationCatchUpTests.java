package io.tally.payment.reconciliation;

import java.time.LocalDate;
import java.time.ZoneOffset;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Days the scheduler missed (the service was down over a midnight, or a run failed) are reconciled when it next
 * runs, oldest first and each once, as far back as {@code catch-up-days}.
 */
@SpringBootTest(properties = { "spring.config.name=payment-service", "payment.reconciliation.enabled=false",
        "payment.reconciliation.catch-up-days=3" })
class ReconciliationCatchUpTests {

    private static final HttpServer channel = StatementServer.start(day -> java.util.List.of());

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        StatementServer.register(registry, channel);
    }

    @AfterAll
    static void stop() {
        channel.stop(0);
    }

    @Test
    void theMissedDaysAreReconciledOnceEachWithinTheCatchUpWindow(@Autowired Reconciliation reconciliation,
            @Autowired JdbcTemplate jdbc) {
        LocalDate yesterday = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        // the scheduler last ran ten days ago; the service was down since
        jdbc.update("""
                INSERT INTO reconciliation_run (statement_date, scheduled, scheduled_date, status, triggered_by, started_at)
                VALUES (?, 1, ?, 'FINISHED', 'scheduler', NOW(6))""", yesterday.minusDays(9), yesterday.minusDays(9));

        assertThat(reconciliation.catchUp(yesterday))
            .containsExactly(yesterday.minusDays(2), yesterday.minusDays(1), yesterday);
        assertThat(jdbc.queryForList("SELECT statement_date FROM reconciliation_run WHERE scheduled AND status = 'FINISHED'"
                + " ORDER BY statement_date", LocalDate.class))
            .containsExactly(yesterday.minusDays(9), yesterday.minusDays(2), yesterday.minusDays(1), yesterday);

        assertThat(reconciliation.catchUp(yesterday)).as("each day once").isEmpty();
        assertThat(reconciliation.catchUp(yesterday.plusDays(1))).containsExactly(yesterday.plusDays(1));
    }
}
