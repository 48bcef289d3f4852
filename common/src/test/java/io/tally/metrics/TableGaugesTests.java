package io.tally.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TableGaugesTests {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private final AtomicReference<Supplier<Map<Tags, Long>>> reading = new AtomicReference<>(Map::of);

    private final TableGauges gauges = new TableGauges(this.registry, List.of(new TableGauge("tally.test.open",
            "rows waiting", List.of(Tags.of("queue", "orders", "status", "PARKED")), () -> this.reading.get().get())));

    @Test
    void theTagSetsAlwaysReportedStartAtZeroBeforeAnyReading() {
        assertThat(value("orders", "PARKED")).isZero();
    }

    @Test
    void aReadingSetsEveryRowAndARowGoneDropsToZeroOrDisappears() {
        this.reading.set(() -> Map.of(Tags.of("queue", "orders", "status", "PARKED"), 3L,
                Tags.of("queue", "payments", "status", "SCHEDULED"), 5L));
        this.gauges.refresh();
        assertThat(value("orders", "PARKED")).isEqualTo(3);
        assertThat(value("payments", "SCHEDULED")).isEqualTo(5);

        this.reading.set(Map::of);
        this.gauges.refresh();
        assertThat(value("orders", "PARKED")).as("always reported: back to 0, so an alert on it resolves").isZero();
        assertThat(this.registry.find("tally.test.open").tag("queue", "payments").gauge())
            .as("a row no longer read is no longer reported").isNull();
    }

    @Test
    void aFailedReadingKeepsTheLastValues() {
        this.reading.set(() -> Map.of(Tags.of("queue", "orders", "status", "PARKED"), 7L));
        this.gauges.refresh();
        this.reading.set(() -> {
            throw new IllegalStateException("database down");
        });
        this.gauges.refresh();
        assertThat(value("orders", "PARKED")).isEqualTo(7);
    }

    private double value(String queue, String status) {
        Gauge gauge = this.registry.find("tally.test.open").tag("queue", queue).tag("status", status).gauge();
        assertThat(gauge).as(queue + "/" + status).isNotNull();
        return gauge.value();
    }
}
