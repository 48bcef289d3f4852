package io.tally.payment.queries;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.event.TransactionalEventListener;

import io.tally.maintenance.PeriodicTask;
import io.tally.payment.payments.PaymentProperties;

/** Runs the active queries and the closes on their poll, and a close as soon as its request commits. */
@Configuration(proxyBeanMethods = false)
class QueryTasks {

    @Bean
    PeriodicTask paymentQueries(Queries queries, PaymentProperties properties) {
        return new PeriodicTask("payment-queries", properties.poll(), properties.poll(), () -> {
            while (queries.runQueries() == properties.batch()) {
                // more are due
            }
        }, true);
    }

    @Bean
    PeriodicTask paymentCloses(Closes closes, PaymentProperties properties) {
        return new PeriodicTask("payment-closes", properties.poll(), properties.poll(), () -> {
            while (closes.runCloses() == properties.batch()) {
                // more are due
            }
        }, true);
    }

    @Bean
    CloseWakeUp closeWakeUp(PeriodicTask paymentCloses) {
        return new CloseWakeUp(paymentCloses);
    }

    /** Wakes the close task when a close recorded as due commits (a cancellation, or a trade born after it). */
    record CloseWakeUp(PeriodicTask closes) {

        @TransactionalEventListener(fallbackExecution = true)
        void closeRequested(CloseRequested event) {
            this.closes.wakeUp();
        }
    }
}
