package io.tally.payment.reconciliation;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The daily run reconciles yesterday once, however often the scheduler polls; a failed run gives the day back
 * to the scheduler, which tries again.
 */
@SpringBootTest(properties = { "spring.config.name=payment-service", "payment.reconciliation.daily-at=00:00",
        "payment.reconciliation.poll=100ms" })
class DailyReconciliationTests {

    private static final AtomicInteger downloads = new AtomicInteger();

    private static final AtomicInteger failuresLeft = new AtomicInteger(1);

    private static final HttpServer channel = StatementServer.start(day -> {
        downloads.incrementAndGet();
        return failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? null : java.util.List.of();
    });

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        StatementServer.register(registry, channel);
    }

    @AfterAll
    static void stop() {
        channel.stop(0);
    }

    @Test
    void reconcilesYesterdayOnceAndRetriesAFailedRun(@Autowired JdbcTemplate jdbc) {
        LocalDate yesterday = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM reconciliation_run WHERE scheduled AND status = 'FINISHED'", Integer.class) == 1);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM reconciliation_run WHERE scheduled AND status = 'FINISHED'", Integer.class) == 1);
        assertThat(jdbc.queryForList("SELECT status FROM reconciliation_run WHERE scheduled ORDER BY id", String.class))
            .containsExactly("FAILED", "FINISHED");
        assertThat(jdbc.queryForObject("SELECT statement_date FROM reconciliation_run WHERE status = 'FINISHED'",
                LocalDate.class)).isEqualTo(yesterday);
        assertThat(downloads.get()).isEqualTo(2);
    }
}
