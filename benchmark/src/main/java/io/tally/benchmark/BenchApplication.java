package io.tally.benchmark;

import java.util.concurrent.atomic.AtomicLong;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;

import io.tally.inbox.EventContext;
import io.tally.inbox.EventHandler;

/** The application the benchmark runs: common's auto-configuration and one handler with a trivial effect. */
@SpringBootConfiguration
@EnableAutoConfiguration(excludeName = { "org.springframework.modulith.events.config.EventPublicationAutoConfiguration",
        "org.springframework.modulith.events.config.EventExternalizationAutoConfiguration",
        "org.springframework.modulith.events.jdbc.JdbcEventPublicationAutoConfiguration",
        "org.springframework.modulith.events.jackson.JacksonEventSerializationConfiguration",
        "org.springframework.modulith.events.jackson2.Jackson2EventSerializationConfiguration",
        "org.springframework.modulith.moments.autoconfigure.MomentsAutoConfiguration",
        "org.springframework.modulith.moments.autoconfigure.MomentsJacksonAutoConfiguration",
        "org.springframework.modulith.core.config.ApplicationModuleInitializerRuntimeVerification" })
public class BenchApplication {

    @Bean
    LatencyRecorder latencyRecorder() {
        return new LatencyRecorder();
    }

    @Bean
    ScaleBenchmark.BenchListener scaleBenchmarkListener() {
        return new ScaleBenchmark.BenchListener();
    }

    @Bean
    EffectHandler effectHandler(JdbcTemplate jdbc) {
        return new EffectHandler(jdbc);
    }

    /** Inserts one row per event, in the chain's transaction with the dedup row. */
    static final class EffectHandler implements EventHandler<BenchEvent> {

        final AtomicLong handled = new AtomicLong();

        private final JdbcTemplate jdbc;

        EffectHandler(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Override
        public void handle(BenchEvent event, EventContext context) {
            this.jdbc.update("INSERT INTO bench_effect (aggregate_id) VALUES (?)", event.orderNo());
            this.handled.incrementAndGet();
        }
    }
}
