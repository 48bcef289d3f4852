package io.tally.order.orders;

import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * An order as the public contract shows it. Amounts are minor units; {@code amount}, {@code currency} and
 * {@code payDeadline} are known once the stock is reserved.
 */
public record Order(String orderNo, String userId, OrderStatus status, List<Item> items, @Nullable Long amount,
        @Nullable String currency, @Nullable Instant payDeadline, @Nullable CancelReason cancelReason,
        @Nullable String cancelDetail, @Nullable String paymentNo, long refundedAmount, @Nullable String paymentAlert,
        Instant createdAt) {

    /** A line of the order; {@code unitPrice} once priced by inventory. */
    public record Item(String sku, int quantity, @Nullable Long unitPrice) {
    }
}
