package io.tally.payment.payments;

import java.time.Clock;
import java.time.Instant;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import io.tally.channel.ChannelMessages.Notification;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.events.Events.PaymentAbnormal;
import io.tally.events.Events.PaymentSucceeded;
import io.tally.outbox.Outbox;
import io.tally.payment.refunds.Refunds;

/**
 * The transitions of a payment that callbacks, queries, closes, refunds and reconciliation share: lock it, succeed
 * it (refunded if its order is cancelled), make it abnormal, record what the channel captured, close it, request
 * its refund, and record the refund confirmed. Each runs in the caller's transaction (one must be open), under
 * the payment's row lock taken first by {@link #lock}, and moves the row by a conditional update, so whichever of
 * two racing paths comes second takes the other branch.
 */
@Component
@Transactional(propagation = Propagation.MANDATORY)
public class Settlement {

    private static final Logger log = LoggerFactory.getLogger(Settlement.class);

    private final PaymentStore store;

    private final PayableOrders orders;

    private final Refunds refunds;

    private final Outbox outbox;

    private final Clock clock;

    private final Counter abnormal;

    Settlement(PaymentStore store, PayableOrders orders, Refunds refunds, Outbox outbox, Clock clock,
            MeterRegistry meters) {
        this.store = store;
        this.orders = orders;
        this.refunds = refunds;
        this.outbox = outbox;
        this.clock = clock;
        this.abnormal = Counter.builder("tally.payment.abnormal")
            .description("Callbacks, queries and closes that reported another amount for our own trade")
            .register(meters);
    }

    /**
     * The payment, its row locked until the end of the transaction: every transition starts here, before any
     * other read.
     * @throws UnknownPaymentException when there is no such payment
     */
    public Payment lock(String paymentNo) {
        return this.store.lock(paymentNo).orElseThrow(() -> new UnknownPaymentException(paymentNo));
    }

    /**
     * The payment is paid as asked: it succeeds, and its success is published; if its order is cancelled (the
     * cancellation came first), the money is refunded.
     * @return whether it was refunded
     */
    public boolean paid(Payment payment, String tradeNo, Instant paidAt, long captured, Instant now) {
        this.store.succeed(payment.paymentNo(), tradeNo, paidAt, captured, now);
        this.outbox.publish(payment.orderNo(), new PaymentSucceeded(payment.paymentNo(), payment.orderNo(),
                payment.amount(), tradeNo, paidAt));
        if (this.orders.cancelled(payment.orderNo())) {
            refund(this.store.find(payment.paymentNo()).orElseThrow(() -> new UnknownPaymentException(payment.paymentNo())),
                    "paid for a cancelled order");
            return true;
        }
        return false;
    }

    /**
     * What the channel reported does not match what the payment asked: an {@code ALERT}, and the payment becomes
     * {@code ABNORMAL} (from the states {@link PaymentStatus#ABNORMAL} allows), which is published.
     * @param source what reported it ({@code callback N1}, {@code query}, {@code close}), for the log
     */
    public Abnormal abnormal(Payment payment, String source, String mismatch, Instant now) {
        this.abnormal.increment();
        log.error("ALERT payment {} of order {}: {} does not match: {}", payment.paymentNo(), payment.orderNo(), source,
                mismatch);
        if (this.store.markAbnormal(payment.paymentNo(), mismatch, now)) {
            this.outbox.publish(payment.orderNo(), new PaymentAbnormal(payment.paymentNo(), payment.orderNo(), mismatch));
            return new Abnormal(true, payment.status(), mismatch);
        }
        return new Abnormal(false, payment.status(), mismatch);
    }

    /**
     * What {@link #abnormal} did.
     *
     * @param marked whether the payment became {@code ABNORMAL} now (else its state does not allow it)
     * @param was the payment's status before
     * @param mismatch what did not match
     */
    public record Abnormal(boolean marked, PaymentStatus was, String mismatch) {

        /** As recorded with a callback or a query: {@code abnormal: <mismatch>}, or why it could not be marked. */
        @Override
        public String toString() {
            return this.marked ? "abnormal: " + this.mismatch
                    : "abnormal callback for a payment already " + this.was + ": " + this.mismatch;
        }
    }

    /** Records the money a callback reports captured, for a payment that does not succeed by it. */
    public void captured(Payment payment, Notification notification, Instant now) {
        this.store.captured(payment.paymentNo(), notification.tradeNo(), notification.paidAt(), notification.amount(),
                now);
    }

    /** Records the money a trade shows captured, for a payment that does not succeed by it. */
    public void captured(Payment payment, Trade trade, Instant now) {
        this.store.captured(payment.paymentNo(), trade.tradeNo(), trade.paidAt(), trade.captured(), now);
    }

    /** A paying payment's trade is closed: it is {@code CLOSED}. */
    public void closed(String paymentNo, Instant now) {
        this.store.move(paymentNo, PaymentStatus.PAYING, PaymentStatus.CLOSED, now);
    }

    /**
     * Requests the refund of the payment's captured money, in the caller's transaction: records it under the
     * number derived from the payment and moves the payment to {@code REFUNDING} (an abnormal payment keeps its
     * status). The refund worker issues it after the commit, and retries it with the same number until the
     * channel confirms it, so it is issued once.
     */
    public void refund(Payment payment, String reason) {
        Instant now = this.clock.instant();
        this.refunds.request(payment, reason, now);
        if (PaymentStatus.REFUNDING.from().contains(payment.status())) {
            this.store.move(payment.paymentNo(), payment.status(), PaymentStatus.REFUNDING, now);
        }
    }

    /** The channel confirmed the payment's refund: a refunding payment is {@code REFUNDED} (an abnormal one stays). */
    public void refunded(String paymentNo, Instant now) {
        this.store.lock(paymentNo)
            .filter(p -> p.status() == PaymentStatus.REFUNDING)
            .ifPresent(p -> this.store.move(p.paymentNo(), PaymentStatus.REFUNDING, PaymentStatus.REFUNDED, now));
    }
}
