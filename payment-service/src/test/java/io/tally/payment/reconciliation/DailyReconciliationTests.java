package io.tally.payment.reconciliation;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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

import io.tally.testing.ServiceTestProperties;

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

    private static final HttpServer channel = statementServer();

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        ServiceTestProperties.register(registry);
        registry.add("payment.channel.merchant-private-key", () -> "file:../config/test-keys/merchant-private.pem");
        registry.add("payment.channel.channel-public-key", () -> "file:../config/test-keys/channel-public.pem");
        registry.add("payment.channel.base-url", () -> "http://127.0.0.1:" + channel.getAddress().getPort());
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

    private static HttpServer statementServer() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/gateway/statements/", exchange -> {
                downloads.incrementAndGet();
                String day = exchange.getRequestURI().getPath().substring("/gateway/statements/".length());
                boolean fail = failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
                byte[] body = ("# statement,merchant=M100,date=" + day + "\ntype,out_trade_no,trade_no,refund_no,amount,time\n"
                        + "# total,lines=0,payments=0,refunds=0\n").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(fail ? 503 : 200, fail ? -1 : body.length);
                if (!fail) {
                    exchange.getResponseBody().write(body);
                }
                exchange.close();
            });
            server.start();
            return server;
        }
        catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
