package io.tally.payment.reconciliation;

import java.time.LocalDate;

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
 * The business day is cut in the configured zone on our side as on the channel's: a capture at 01:00 in
 * Shanghai (17:00 UTC the day before) belongs to the Shanghai day on both sides, so neither day reports it.
 */
@SpringBootTest(properties = { "spring.config.name=payment-service", "payment.reconciliation.enabled=false",
        "payment.reconciliation.zone=Asia/Shanghai" })
class BusinessDayZoneTests {

    private static final LocalDate UTC_DAY = LocalDate.parse("2026-11-02");

    private static final String PAID_AT = "2026-11-02T17:00:00Z";

    /** The channel's statements, cut at midnight Asia/Shanghai: the capture is in the statement of the day after. */
    private static final HttpServer channel = StatementServer.start(day -> day.equals(UTC_DAY.plusDays(1))
            ? java.util.List.of("PAYMENT,PZONE1,T1,,700," + PAID_AT) : java.util.List.of());

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        StatementServer.register(registry, channel);
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
}
