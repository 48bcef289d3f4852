package io.tally.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges that count rows of a table (open dead letters, flagged payments, open differences...). They are read by
 * a periodic task, never on a scrape, so a scrape does not wait on the database and a slow database does not
 * slow the scrape. Every instance of a service reads the same table and reports the same value: aggregate them
 * with {@code max}, not {@code sum}.
 * <p>
 * A reading that fails (the database is down) leaves the last values in place and is tried again at the next
 * refresh; a row that no longer appears in a reading drops to zero, so an alert on it resolves.
 */
public final class TableGauges {

    private static final Logger log = LoggerFactory.getLogger(TableGauges.class);

    private final MeterRegistry registry;

    private final List<Entry> entries = new CopyOnWriteArrayList<>();

    public TableGauges(MeterRegistry registry, List<TableGauge> gauges) {
        this.registry = registry;
        gauges.forEach(this::register);
    }

    /** Registers a gauge, at 0 until its first reading. */
    public void register(TableGauge declared) {
        MultiGauge gauge = MultiGauge.builder(declared.name()).description(declared.description()).register(this.registry);
        Entry entry = new Entry(declared.name(), gauge, declared.always(), declared.reading());
        this.entries.add(entry);
        entry.publish(Map.of());
    }

    /** Reads every gauge now. */
    public void refresh() {
        for (Entry entry : this.entries) {
            try {
                entry.publish(entry.reading.get());
            }
            catch (RuntimeException ex) {
                log.debug("Could not read {}; keeping its last values: {}", entry.name, ex.toString());
            }
        }
    }

    private record Entry(String name, MultiGauge gauge, List<Tags> always, Supplier<Map<Tags, Long>> reading) {

        void publish(Map<Tags, Long> values) {
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            for (Tags tags : this.always) {
                if (!values.containsKey(tags)) {
                    rows.add(MultiGauge.Row.of(tags, 0));
                }
            }
            values.forEach((tags, value) -> rows.add(MultiGauge.Row.of(tags, value)));
            this.gauge.register(rows, true);
        }
    }
}
