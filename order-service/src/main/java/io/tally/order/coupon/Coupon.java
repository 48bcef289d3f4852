package io.tally.order.coupon;

import java.time.Instant;

/** A benefit granted for a paid order. */
public record Coupon(String couponNo, String userId, String orderNo, long amount, String currency, Instant grantedAt) {
}
