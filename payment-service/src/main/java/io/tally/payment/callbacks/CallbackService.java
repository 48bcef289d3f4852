package io.tally.payment.callbacks;

import java.time.Clock;
import java.time.Instant;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.tally.channel.ChannelMessages.Notification;
import io.tally.payment.channel.PaymentChannel;
import io.tally.payment.payments.Payment;
import io.tally.payment.payments.Settlement;
import io.tally.payment.payments.UnknownPaymentException;

/**
 * Verified callbacks: stored raw first, in a transaction of their own, then applied to their payment under its
 * row lock ({@link Payment#onCallback} decides, {@link Settlement} carries it out), the outcome recorded with the
 * callback.
 */
@Service
class CallbackService {

    private static final Logger log = LoggerFactory.getLogger(CallbackService.class);

    private final CallbackStore callbacks;

    private final Settlement settlement;

    private final Clock clock;

    private final Counter notOurs;

    CallbackService(CallbackStore callbacks, Settlement settlement, Clock clock,
            MeterRegistry meters) {
        this.callbacks = callbacks;
        this.settlement = settlement;
        this.clock = clock;
        this.notOurs = Counter.builder("tally.payment.callbacks.not.ours")
            .description("Signed callbacks refused for naming another merchant, trade or currency (payment untouched)")
            .register(meters);
    }

    /** Stores a verified callback raw, before it is applied. */
    @Transactional
    public void store(Notification notification, String body) {
        this.callbacks.store(notification.notificationId(), notification.outTradeNo(), body, this.clock.instant());
    }

    /**
     * Applies a verified callback: stored raw first (by {@link #store}), then matched against its payment under the
     * payment's lock.
     * @param channel the channel it came through, whose merchant it must name
     * @return the outcome, also recorded with the callback
     * @throws UnknownPaymentException when no payment has the callback's trade number (the channel retries)
     */
    @Transactional
    public CallbackResult apply(Notification notification, PaymentChannel channel) {
        Instant now = this.clock.instant();
        Payment payment = this.settlement.lock(notification.outTradeNo());
        Payment.CallbackDecision decision = payment.channel().equals(channel.name())
                ? payment.onCallback(notification, channel.merchantId())
                : new Payment.CallbackDecision(Payment.CallbackOutcome.REFUSED,
                        "payment made through " + payment.channel() + ", notified through " + channel.name());
        CallbackResult outcome = switch (decision.outcome()) {
            case REFUSED -> {
                this.notOurs.increment();
                log.warn("ALERT refused callback {} for payment {}: {}; the payment is left as it is",
                        notification.notificationId(), payment.paymentNo(), decision.mismatch());
                yield new CallbackResult(CallbackResult.Kind.REFUSED, decision.mismatch());
            }
            case MISMATCH -> {
                // what a mismatched callback says was captured is not taken for the truth (it may be tampered with):
                // the payment is flagged, and the channel's statement says what was captured
                yield new CallbackResult(CallbackResult.Kind.ABNORMAL, this.settlement
                    .abnormal(payment, "callback " + notification.notificationId(), decision.mismatch(), now)
                    .toString());
            }
            case MISMATCH_CAPTURED_AFTER_CLOSE -> {
                Settlement.Abnormal abnormal = this.settlement.abnormal(payment,
                        "callback " + notification.notificationId(), decision.mismatch(), now);
                // Money was taken after the close, whatever the callback says of it: give back what we asked.
                this.settlement.refund(payment, "captured after close; the callback did not match: " + decision.mismatch());
                yield new CallbackResult(CallbackResult.Kind.ABNORMAL_CAPTURED_AFTER_CLOSE, abnormal.toString());
            }
            case NOT_PAID -> new CallbackResult(CallbackResult.Kind.NOT_PAID, notification.tradeStatus());
            case SUCCEED -> CallbackResult.of(this.settlement.paid(payment, notification.tradeNo(), notification.paidAt(),
                    notification.amount(), now) ? CallbackResult.Kind.SUCCEEDED_AND_REFUNDED : CallbackResult.Kind.SUCCEEDED);
            case REFUND_CAPTURED_AFTER_CLOSE -> {
                this.settlement.captured(payment, notification, now);
                this.settlement.refund(payment, "captured after the trade was closed");
                yield CallbackResult.of(CallbackResult.Kind.CAPTURED_AFTER_CLOSE);
            }
            case ALREADY_SETTLED -> new CallbackResult(CallbackResult.Kind.DUPLICATE, payment.status().name());
            case ALREADY_ABNORMAL -> CallbackResult.of(CallbackResult.Kind.ALREADY_ABNORMAL);
        };
        this.callbacks.processed(notification.notificationId(), outcome.text(), now);
        return outcome;
    }
}
