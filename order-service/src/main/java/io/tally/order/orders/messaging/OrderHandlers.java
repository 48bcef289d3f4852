package io.tally.order.orders.messaging;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.tally.events.Events.PaymentAbnormal;
import io.tally.events.Events.PaymentRefunded;
import io.tally.events.Events.PaymentSucceeded;
import io.tally.events.Events.StockRejected;
import io.tally.events.Events.StockReserved;
import io.tally.inbox.EventHandler;
import io.tally.order.orders.OrderService;

/** What the order service does on each event; the consumer chain of {@code common} does the rest. */
@Configuration(proxyBeanMethods = false)
class OrderHandlers {

    @Bean
    EventHandler<StockReserved> awaitPayment(OrderService orders) {
        return (event, context) -> orders.stockReserved(event);
    }

    @Bean
    EventHandler<StockRejected> cancelOutOfStock(OrderService orders) {
        return (event, context) -> orders.stockRejected(event);
    }

    @Bean
    EventHandler<PaymentSucceeded> markPaid(OrderService orders) {
        return (event, context) -> orders.paymentSucceeded(event);
    }

    @Bean
    EventHandler<PaymentRefunded> noteRefund(OrderService orders) {
        return (event, context) -> orders.paymentRefunded(event);
    }

    @Bean
    EventHandler<PaymentAbnormal> notePaymentAlert(OrderService orders) {
        return (event, context) -> orders.paymentAbnormal(event);
    }
}
