package io.tally.order.orders;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.tally.maintenance.PeriodicTask;

/**
 * Cancels unpaid orders whose cancellation time has come. The database is its only source of truth: it asks
 * for due orders every {@code order.timeout-poll}, so it survives restarts, and each cancel is a conditional
 * update, so several instances never cancel one order twice.
 */
@Configuration(proxyBeanMethods = false)
class TimeoutCanceller {

    private static final Logger log = LoggerFactory.getLogger(TimeoutCanceller.class);

    @Bean
    PeriodicTask orderTimeouts(OrderService orders, OrderProperties properties) {
        return new PeriodicTask("order-timeouts", properties.timeoutPoll(), properties.timeoutPoll(), () -> {
            int cancelled;
            do {
                cancelled = 0;
                var due = orders.due(properties.timeoutBatch());
                for (String orderNo : due) {
                    if (orders.timeOut(orderNo)) {
                        cancelled++;
                    }
                }
                if (cancelled > 0) {
                    log.info("Cancelled {} unpaid orders whose time had come", cancelled);
                }
                if (due.size() < properties.timeoutBatch()) {
                    break;
                }
            } while (cancelled > 0);
        }, true);
    }
}
