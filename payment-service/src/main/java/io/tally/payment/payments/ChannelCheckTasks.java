package io.tally.payment.payments;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.event.TransactionalEventListener;

import io.tally.maintenance.PeriodicTask;

/**
 * Runs the active queries, the closes and the refunds on their poll, and a close or a refund as soon as its request
 * commits.
 */
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
    PeriodicTask paymentCloses(ChannelChecks checks, PaymentProperties properties) {
        return new PeriodicTask("payment-closes", properties.poll(), properties.poll(), () -> {
            while (checks.runCloses() == properties.batch()) {
                // more are due
            }
        }, true);
    }

    @Bean
    RefundWakeUp refundWakeUp(PeriodicTask paymentRefunds) {
        return new RefundWakeUp(paymentRefunds);
    }

    @Bean
    CloseWakeUp closeWakeUp(PeriodicTask paymentCloses) {
        return new CloseWakeUp(paymentCloses);
    }

    /** Wakes the close task when a close recorded as due commits (a cancellation, or a trade born after it). */
    record CloseWakeUp(PeriodicTask closes) {

        @TransactionalEventListener(fallbackExecution = true)
        void closeRequested(PaymentService.CloseRequested event) {
            this.closes.wakeUp();
        }
    }

    /** Wakes the refund task when a refund request commits. */
    record RefundWakeUp(PeriodicTask refunds) {

        @TransactionalEventListener
        void refundRequested(PaymentService.RefundRequested event) {
            this.refunds.wakeUp();
        }
    }
}
