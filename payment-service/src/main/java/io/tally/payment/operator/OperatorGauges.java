package io.tally.payment.operator;

import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.Tags;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

import io.tally.metrics.TableGauge;
import io.tally.payment.payments.PaymentStatus;
import io.tally.payment.refunds.RefundStatus;

/**
 * What waits for an operator, as gauges read from the tables (the same rows the operator endpoints list):
 * {@code tally.payments.flagged.open} and {@code tally.refunds.flagged.open} (the reconciliation's are beside
 * it). Table-wide: aggregate them with {@code max}.
 */
@Configuration(proxyBeanMethods = false)
class OperatorGauges {

    @Bean
    TableGauge tallyFlaggedPayments(JdbcClient jdbc) {
        // a flagged payment that has since settled (a late callback, an operator's query) waits for no one
        return new TableGauge("tally.payments.flagged.open",
                "Payments flagged for an operator (unknown after every query) and still unsettled (PAYING)",
                List.of(Tags.empty()), () -> Map.of(Tags.empty(), jdbc
                    .sql("SELECT COUNT(*) FROM payment WHERE flagged_at IS NOT NULL AND status = ?")
                    .param(PaymentStatus.PAYING.name()).query(Long.class).single()));
    }

    @Bean
    TableGauge tallyFlaggedRefunds(JdbcClient jdbc) {
        return new TableGauge("tally.refunds.flagged.open",
                "Refunds flagged for an operator (not confirmed after every attempt, or refused), still pending",
                List.of(Tags.empty()),
                () -> Map.of(Tags.empty(), jdbc.sql("SELECT COUNT(*) FROM refund WHERE flagged_at IS NOT NULL AND status = ?")
                    .param(RefundStatus.REQUESTED.name()).query(Long.class).single()));
    }
}
