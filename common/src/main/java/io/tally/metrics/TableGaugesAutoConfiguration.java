package io.tally.metrics;

import java.time.Duration;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

import io.tally.maintenance.PeriodicTask;

/**
 * Reads every {@link TableGauge} bean every {@code tally.metrics.table-gauges-interval} (30 s by default) into a
 * gauge of the application's {@link MeterRegistry}. Without a registry nothing is read.
 */
@AutoConfiguration(afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass(MeterRegistry.class)
public final class TableGaugesAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(MeterRegistry.class)
    TableGauges tallyTableGauges(MeterRegistry registry, ObjectProvider<TableGauge> gauges) {
        return new TableGauges(registry, gauges.orderedStream().toList());
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyTableGaugesRefresh")
    @ConditionalOnBean(TableGauges.class)
    PeriodicTask tallyTableGaugesRefresh(TableGauges gauges, Environment environment) {
        Duration interval = environment.getProperty("tally.metrics.table-gauges-interval", Duration.class,
                Duration.ofSeconds(30));
        return new PeriodicTask("tally-table-gauges", Duration.ZERO, interval, gauges::refresh, true);
    }
}
