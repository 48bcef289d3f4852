package io.tally.order.orders;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Order settings.
 *
 * @param paymentWindow how long the user is shown to pay after the stock is reserved
 * @param cancelGrace how long after the shown deadline an unpaid order is cancelled (for callbacks in flight)
 * @param timeoutPoll how often the database is asked for orders due for cancellation
 * @param timeoutBatch how many due orders one poll cancels at most
 * @param couponAmount the coupon granted on payment, in minor units of the order's currency
 * @param maxQuantityPerLine the most units one line of an order may ask for
 * @param maxQuantityPerOrder the most units all the lines of an order may ask for together
 */
@ConfigurationProperties("order")
public record OrderProperties(@DefaultValue("10m") Duration paymentWindow, @DefaultValue("1m") Duration cancelGrace,
        @DefaultValue("1s") Duration timeoutPoll, @DefaultValue("100") int timeoutBatch,
        @DefaultValue("1000") long couponAmount, @DefaultValue("1000") int maxQuantityPerLine,
        @DefaultValue("10000") int maxQuantityPerOrder) {

    public OrderProperties {
        if (maxQuantityPerLine < 1 || maxQuantityPerOrder < maxQuantityPerLine) {
            throw new IllegalArgumentException("order.max-quantity-per-line must be at least 1 and at most "
                    + "order.max-quantity-per-order");
        }
    }
}
