package io.tally.payment.payments;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/** A payment as the public contract shows it; amounts in minor units. */
public record Payment(String paymentNo, String orderNo, long amount, String currency, PaymentStatus status,
        Instant expireAt, @Nullable String channelTradeNo, @Nullable Instant paidAt, @Nullable String abnormalReason,
        @Nullable RefundView refund, Instant createdAt) {

    /** The payment's refund, if one was requested. */
    public record RefundView(String refundNo, long amount, String status, @Nullable Instant refundedAt) {
    }
}
