package io.tally.payment.reconciliation;

import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.Tags;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

import io.tally.metrics.TableGauge;

/** {@code tally.reconciliation.differences.open}: table-wide, aggregate it with {@code max}. */
@Configuration(proxyBeanMethods = false)
class ReconciliationGauges {

    @Bean
    TableGauge tallyOpenDifferences(JdbcClient jdbc) {
        return new TableGauge("tally.reconciliation.differences.open",
                "Reconciliation differences waiting for an operator's decision", List.of(Tags.empty()),
                () -> Map.of(Tags.empty(), jdbc.sql("SELECT COUNT(*) FROM reconciliation_difference WHERE status = ?")
                    .param(Reconciliations.Status.OPEN.name()).query(Long.class).single()));
    }
}
