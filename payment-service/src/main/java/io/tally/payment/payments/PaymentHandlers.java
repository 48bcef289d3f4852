package io.tally.payment.payments;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.tally.events.Events.OrderAwaitingPayment;
import io.tally.events.Events.OrderCancelled;
import io.tally.inbox.EventHandler;

/** What payment-service does on each order event; the consumer chain of {@code common} does the rest. */
@Configuration(proxyBeanMethods = false)
class PaymentHandlers {

    @Bean
    EventHandler<OrderAwaitingPayment> acceptPayments(PaymentService payments) {
        return (event, context) -> payments.orderAwaitingPayment(event);
    }

    @Bean
    EventHandler<OrderCancelled> closeOrRefund(PaymentService payments) {
        return (event, context) -> payments.orderCancelled(event.orderNo(), event.reason());
    }
}
