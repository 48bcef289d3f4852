package io.tally.inventory.stock.messaging;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.tally.events.Events.OrderCancelled;
import io.tally.events.Events.OrderCreated;
import io.tally.events.Events.OrderPaid;
import io.tally.inbox.EventHandler;
import io.tally.inventory.stock.Stock;

/** What inventory does on each order event; the consumer chain of {@code common} does the rest. */
@Configuration(proxyBeanMethods = false)
class StockHandlers {

    @Bean
    EventHandler<OrderCreated> reserveStock(Stock stock) {
        return (event, context) -> stock.reserve(event.orderNo(), event.items());
    }

    @Bean
    EventHandler<OrderPaid> commitStock(Stock stock) {
        return (event, context) -> stock.commit(event.orderNo());
    }

    @Bean
    EventHandler<OrderCancelled> releaseStock(Stock stock) {
        return (event, context) -> stock.release(event.orderNo());
    }
}
