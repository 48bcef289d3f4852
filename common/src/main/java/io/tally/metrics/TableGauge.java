package io.tally.metrics;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Tags;

/**
 * A gauge that counts rows of a table, declared as a bean and read by {@link TableGauges} on a schedule.
 *
 * @param name the meter's name
 * @param description what it counts
 * @param always the tag sets reported even when a reading has no row for them (as 0); an empty {@link Tags} for
 * a gauge without tags
 * @param reading one value per tag set, read from the database
 */
public record TableGauge(String name, String description, List<Tags> always, Supplier<Map<Tags, Long>> reading) {

    public TableGauge {
        always = List.copyOf(always);
    }
}
