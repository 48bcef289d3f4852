package io.tally.gateway;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.tally.channel.ChannelMessages.CreateTrade;

import static org.assertj.core.api.Assertions.assertThat;

/** The channel cuts its statements' days at midnight of its statement zone, as Chinese channels cut at Asia/Shanghai. */
class StatementZoneTests {

    /** 01:00 on 2 December in Shanghai, still 1 December in UTC. */
    private static final Instant PAID = Instant.parse("2026-12-01T17:00:00Z");

    @Test
    void aCaptureAfterMidnightInTheStatementZoneIsInTheNextDaysStatementThere() {
        Trades shanghai = paidTrade(ZoneId.of("Asia/Shanghai"));
        assertThat(shanghai.statement("M100", LocalDate.parse("2026-12-01"))).doesNotContain("PAYMENT,P1");
        assertThat(shanghai.statement("M100", LocalDate.parse("2026-12-02"))).contains("PAYMENT,P1,");

        Trades utc = paidTrade(ZoneOffset.UTC);
        assertThat(utc.statement("M100", LocalDate.parse("2026-12-01"))).contains("PAYMENT,P1,");
        assertThat(utc.statement("M100", LocalDate.parse("2026-12-02"))).doesNotContain("PAYMENT,P1");
    }

    private static Trades paidTrade(ZoneId zone) {
        Trades trades = new Trades(Clock.fixed(PAID, ZoneOffset.UTC), new GatewayProperties(null, Path.of("target"),
                List.of(), List.of(Duration.ofSeconds(1)), Duration.ofSeconds(1), Duration.ofMinutes(5), zone, 1));
        trades.create(new CreateTrade("M100", "P1", 700, "CNY", PAID.plusSeconds(600), "http://127.0.0.1:1/cb", "test"));
        trades.pay("P1", false, () -> {
        });
        return trades;
    }
}
