package io.tally.payment.refunds;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.event.TransactionalEventListener;

import io.tally.maintenance.PeriodicTask;
import io.tally.payment.payments.PaymentProperties;

/** Runs the refund worker on its poll, and as soon as a refund request commits. */
@Configuration(proxyBeanMethods = false)
class RefundTasks {

    @Bean
    PeriodicTask paymentRefunds(RefundWorker worker, PaymentProperties properties) {
        return new PeriodicTask("payment-refunds", properties.poll(), properties.poll(), () -> {
            while (worker.runRefunds() == properties.batch()) {
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
        void refundRequested(RefundRequested event) {
            this.refunds.wakeUp();
        }
    }
}
