package io.tally.payment.reconciliation;

import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.tally.maintenance.PeriodicTask;

/**
 * Reconciles yesterday once a day, from {@code payment.reconciliation.daily-at} (UTC). The run's row is the
 * schedule: one scheduled run per day across instances and restarts, by a unique key.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "payment.reconciliation", name = "enabled", matchIfMissing = true)
class DailyReconciliation {

    @Bean
    PeriodicTask dailyReconciliationTask(Reconciliation reconciliation, ReconciliationProperties properties, Clock clock) {
        return new PeriodicTask("daily-reconciliation", properties.poll(), properties.poll(), () -> {
            var now = clock.instant().atZone(ZoneOffset.UTC);
            LocalTime at = properties.dailyAt();
            if (!now.toLocalTime().isBefore(at)) {
                LocalDate yesterday = now.toLocalDate().minusDays(1);
                reconciliation.run(yesterday, "scheduler", true);
            }
        }, true);
    }
}
