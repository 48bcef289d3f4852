package io.tally.payment.reconciliation;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;

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

/**
 * The business day is cut in the configured zone on our side as on the channel's: a capture at 01:00 in
 * Shanghai (17:00 UTC the day before) belongs to the Shanghai day on both sides, so neither day reports it.
 */
@SpringBootTest(properties = { "spring.config.name=payment-service", "payment.reconciliation.enabled=false",
        "payment.reconciliation.zone=Asia/Shanghai" })
class BusinessDayZoneTests {

    private static final LocalDate UTC_DAY = LocalDate.parse("2026-11-02");

    private static final String PAID_AT = "2026-11-02T17:00:00Z";

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
    void aCaptureAfterMidnightInTheZoneBelongsToThatDayOnBothSides(@Autowired Reconciliation reconciliation,
            @Autowired JdbcTemplate jdbc) {
        jdbc.update("""
                INSERT INTO payment (payment_no, order_no, amount, currency, status, expire_at, channel_trade_no, paid_at,
                    captured_amount, created_at, updated_at)
                VALUES ('PZONE1', 'OZONE1', 700, 'CNY', 'SUCCEEDED', '2026-11-02 17:10:00', 'T1', '2026-11-02 17:00:00', 700,
                    '2026-11-02 16:59:00', '2026-11-02 17:00:00')""");

        Reconciliations.Run first = reconciliation.run(UTC_DAY, "test", false);
        Reconciliations.Run second = reconciliation.run(UTC_DAY.plusDays(1), "test", false);

        assertThat(first.status()).isEqualTo("FINISHED");
        assertThat(reconciliation.differences(first.id())).as("not in the Shanghai day of %s", UTC_DAY).isEmpty();
        assertThat(second.status()).isEqualTo("FINISHED");
        assertThat(reconciliation.differences(second.id())).as("in the Shanghai day after").isEmpty();
        assertThat(second.statementLines()).isEqualTo(1);
    }

    /** The channel's statements, cut at midnight Asia/Shanghai: the capture is in the statement of the day after. */
    private static HttpServer statementServer() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/gateway/statements/", exchange -> {
                LocalDate day = LocalDate.parse(exchange.getRequestURI().getPath().substring("/gateway/statements/".length()));
                boolean holds = day.equals(UTC_DAY.plusDays(1));
                byte[] body = ("# statement,merchant=M100,date=" + day + "\ntype,out_trade_no,trade_no,refund_no,amount,time\n"
                        + (holds ? "PAYMENT,PZONE1,T1,,700," + PAID_AT + "\n" : "")
                        + "# total,lines=" + (holds ? 1 : 0) + ",payments=" + (holds ? 700 : 0) + ",refunds=0\n")
                    .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
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
