package io.tally.payment.reconciliation;

import java.time.Clock;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.tally.maintenance.PeriodicTask;

/**
 * Reconciles, once a day from {@code payment.reconciliation.daily-at} in the business day's zone, yesterday and
 * every earlier day the scheduler missed ({@link Reconciliation#catchUp}). The run's row is the schedule: one
 * scheduled run per day across instances and restarts, by a unique key.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "payment.reconciliation", name = "enabled", matchIfMissing = true)
class DailyReconciliation {

    @Bean
    PeriodicTask dailyReconciliationTask(Reconciliation reconciliation, ReconciliationProperties properties, Clock clock) {
        return new PeriodicTask("daily-reconciliation", properties.poll(), properties.poll(), () -> {
            var now = clock.instant().atZone(properties.zone());
            if (!now.toLocalTime().isBefore(properties.dailyAt())) {
                reconciliation.catchUp(now.toLocalDate().minusDays(1));
            }
        }, true);
    }
}
