package io.tally.payment.payments;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.event.TransactionalEventListener;

import io.tally.maintenance.PeriodicTask;

/** Runs the active queries and the refunds on their poll, and a refund as soon as its request commits. */
@Configuration(proxyBeanMethods = false)
class ChannelCheckTasks {

    @Bean
    PeriodicTask paymentQueries(ChannelChecks checks, PaymentProperties properties) {
        return new PeriodicTask("payment-queries", properties.poll(), properties.poll(), () -> {
            while (checks.runQueries() == properties.batch()) {
                // more are due
            }
        }, true);
    }

    @Bean
    PeriodicTask paymentRefunds(ChannelChecks checks, PaymentProperties properties) {
        return new PeriodicTask("payment-refunds", properties.poll(), properties.poll(), () -> {
            while (checks.runRefunds() == properties.batch()) {
                // more are due
            }
        }, true);
    }

    @Bean
    RefundWakeUp refundWakeUp(PeriodicTask paymentRefunds) {
        return new RefundWakeUp(paymentRefunds);
    }

    /** Wakes the refund task when a refund request commits. */
    record RefundWakeUp(PeriodicTask refunds) {

        @TransactionalEventListener
        void refundRequested(PaymentService.RefundRequested event) {
            this.refunds.wakeUp();
        }
    }
}
