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
 * @param waitMax the longest a client may wait for an order to change in one request ({@code Prefer: wait})
 * @param waitRecheck how often a waiting request reads its order again, for changes committed by another
 *     instance (changes committed by this one are signalled at once)
 * @param waitMaxWaiters how many requests may wait at once in one instance; more are answered at once
 */
@ConfigurationProperties("order")
public record OrderProperties(@DefaultValue("10m") Duration paymentWindow, @DefaultValue("1m") Duration cancelGrace,
        @DefaultValue("1s") Duration timeoutPoll, @DefaultValue("100") int timeoutBatch,
        @DefaultValue("1000") long couponAmount, @DefaultValue("1000") int maxQuantityPerLine,
        @DefaultValue("10000") int maxQuantityPerOrder, @DefaultValue("30s") Duration waitMax,
        @DefaultValue("2s") Duration waitRecheck, @DefaultValue("10000") int waitMaxWaiters) {

    public OrderProperties {
        if (maxQuantityPerLine < 1 || maxQuantityPerOrder < maxQuantityPerLine) {
            throw new IllegalArgumentException("order.max-quantity-per-line must be at least 1 and at most "
                    + "order.max-quantity-per-order");
        }
        if (waitMax.isNegative() || !waitRecheck.isPositive() || waitMaxWaiters < 0) {
            throw new IllegalArgumentException("order.wait-max must not be negative, order.wait-recheck must be "
                    + "positive and order.wait-max-waiters must not be negative");
        }
    }
}
