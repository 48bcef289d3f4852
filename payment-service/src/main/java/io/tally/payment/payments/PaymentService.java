package io.tally.payment.payments;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.tally.channel.ChannelMessages.CloseOutcome;
import io.tally.channel.ChannelMessages.Notification;
import io.tally.channel.ChannelMessages.Refund;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.contract.Events.OrderAwaitingPayment;
import io.tally.contract.Events.PaymentAbnormal;
import io.tally.contract.Events.PaymentRefunded;
import io.tally.contract.Events.PaymentSucceeded;
import io.tally.outbox.Outbox;
import io.tally.payment.channel.ChannelClient;

/**
 * Payments against the channel. Callbacks and the order's cancellation meet on the payment row: each moves it
 * by a conditional update under the row's lock, and whichever comes second takes the other path. Money captured
 * for a cancelled order is refunded with a refund number derived from the payment, so it is refunded once.
 */
@Service
public class PaymentService {

    private static final Logger log = LoggerFactory.getLogger(PaymentService.class);

    private final Payments payments;

    private final ChannelClient channel;

    private final Outbox outbox;

    private final Clock clock;

    private final Counter abnormal;

    private final Counter notOurs;

    /** How the outcome of a refused callback begins (its caller answers the channel 403 for it). */
    public static final String REFUSED = "refused: ";

    private final PaymentProperties properties;

    private final ApplicationEventPublisher events;

    PaymentService(Payments payments, ChannelClient channel, Outbox outbox, Clock clock, MeterRegistry meters,
            PaymentProperties properties, ApplicationEventPublisher events) {
        this.payments = payments;
        this.channel = channel;
        this.outbox = outbox;
        this.clock = clock;
        this.properties = properties;
        this.events = events;
        this.notOurs = Counter.builder("tally.payment.callbacks.not.ours")
            .description("Signed callbacks refused for naming another merchant, trade or currency (payment untouched)")
            .register(meters);
        this.abnormal = Counter.builder("tally.payment.abnormal")
            .description("Callbacks, queries and closes that reported another amount for our own trade")
            .register(meters);
    }

    /** The refund number of a payment: derived from it, so that every request for it is the same request. */
    static String refundNo(String paymentNo) {
        return paymentNo + "-R1";
    }

    /** The order awaits payment: payments may be created for it until its shown deadline. */
    @Transactional
    public void orderAwaitingPayment(OrderAwaitingPayment event) {
        this.payments.payable(event.orderNo(), event.amount(), event.currency(), event.payDeadline(), this.clock.instant());
    }

    /**
     * Waits, holding no transaction and no connection between looks, until payment-service has heard of the order
     * (its {@code order.awaiting-payment} or its cancellation), at most {@code wait}.
     * @return whether it is known now
     */
    public boolean awaitKnown(String orderNo, java.time.Duration wait, java.time.Duration poll) {
        long until = System.nanoTime() + wait.toNanos();
        while (!this.payments.knowsOrder(orderNo)) {
            if (System.nanoTime() >= until) {
                return false;
            }
            try {
                Thread.sleep(poll.toMillis());
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * Creates the payment and its channel trade, whose absolute expiry is the order's shown deadline. An open
     * payment of the order is answered instead of a second one, so an order never has two trades open.
     * @param token a one-time payment token to consume, or {@code null}
     * @throws NotPayableException when the order is unknown, cancelled, paid or past its deadline, or the token
     * is not valid for it
     */
    @Transactional
    public Created create(String orderNo, io.tally.http.@Nullable IdempotentRequest request, @Nullable String token) {
        if (request != null) {
            var existing = this.payments.findByIdempotencyKey(request.key());
            if (existing.isPresent()) {
                request.requireSameRequest(existing.get().hash());
                return new Created(get(existing.get().paymentNo()), false);
            }
        }
        Instant now = this.clock.instant();
        Payments.PayableOrder order = this.payments.lockPayable(orderNo)
            .orElseThrow(() -> new NotPayableException(orderNo, "it is not awaiting payment"));
        if (!"AWAITING_PAYMENT".equals(order.status()) || order.payDeadline() == null || order.amount() == null) {
            throw new NotPayableException(orderNo, "it is " + order.status().toLowerCase(Locale.ROOT));
        }
        if (!now.isBefore(order.payDeadline())) {
            throw new NotPayableException(orderNo, "its payment deadline " + order.payDeadline() + " has passed");
        }
        if (token != null && !this.payments.consumeToken(token, orderNo, now)) {
            throw new NotPayableException(orderNo, "the payment token is unknown, used or expired");
        }
        for (Payment payment : this.payments.ofOrder(orderNo)) {
            switch (payment.status()) {
                case PAYING -> {
                    return new Created(payment, false);
                }
                case SUCCEEDED, REFUNDING, REFUNDED, ABNORMAL ->
                    throw new NotPayableException(orderNo, "payment " + payment.paymentNo() + " is " + payment.status());
                case CLOSED -> {
                    // a closed attempt; a new one may start
                }
            }
        }
        String paymentNo = "P" + UUID.randomUUID().toString().replace("-", "").substring(0, 20).toUpperCase(Locale.ROOT);
        this.payments.insert(paymentNo, order, request, now,
                this.properties.nextQuery(now, 0, order.payDeadline()));
        Trade trade = this.channel.createTrade(paymentNo, order.amount(), order.currency(), order.payDeadline(),
                "Order " + orderNo);
        this.payments.tradeCreated(paymentNo, trade.tradeNo());
        return new Created(get(paymentNo), true);
    }

    /** Issues a one-time payment token for an order, valid until its deadline. */
    @Transactional
    public String issueToken(String orderNo) {
        Payments.PayableOrder order = this.payments.lockPayable(orderNo)
            .filter(o -> "AWAITING_PAYMENT".equals(o.status()) && o.payDeadline() != null)
            .orElseThrow(() -> new NotPayableException(orderNo, "it is not awaiting payment"));
        String token = UUID.randomUUID().toString();
        this.payments.issueToken(token, orderNo, order.payDeadline());
        return token;
    }

    /**
     * The order was cancelled: no payment may start any more; an open trade is closed, and money the channel
     * captured anyway is refunded once.
     */
    @Transactional
    public void orderCancelled(String orderNo, String reason) {
        Instant now = this.clock.instant();
        this.payments.cancelPayable(orderNo, reason, now);
        for (Payment payment : this.payments.lockOfOrder(orderNo)) {
            switch (payment.status()) {
                case PAYING, ABNORMAL -> closeOrRefund(payment, now);
                case SUCCEEDED -> refund(payment, "order " + orderNo + " cancelled (" + reason + ") after payment");
                case CLOSED, REFUNDING, REFUNDED -> log.debug("Payment {} is {}: nothing to undo", payment.paymentNo(),
                        payment.status());
            }
        }
    }

    private void closeOrRefund(Payment payment, Instant now) {
        if (this.channel.close(payment.paymentNo()).outcome() == CloseOutcome.CLOSED) {
            if (payment.status() == PaymentStatus.PAYING) {
                this.payments.move(payment.paymentNo(), PaymentStatus.PAYING, PaymentStatus.CLOSED, now);
            }
            return;
        }
        // Already paid: the capture beat the close. Learn it from the channel, then give the money back.
        Trade trade = this.channel.query(payment.paymentNo());
        String mismatch = trade != null && trade.paidAt() != null ? payment.tradeMismatch(trade) : null;
        if (mismatch != null) {
            // the same checks as a callback's: money was taken, but not what was asked; flag it, give it back
            abnormal(payment, "close", mismatch, now);
            refund(payment, "order cancelled; the close answered already paid, but " + mismatch);
            return;
        }
        if (payment.status() == PaymentStatus.PAYING && trade != null && trade.paidAt() != null) {
            this.payments.succeed(payment.paymentNo(), trade.tradeNo(), trade.paidAt(), trade.captured(), now);
            this.outbox.publish(payment.orderNo(), new PaymentSucceeded(payment.paymentNo(), payment.orderNo(),
                    payment.amount(), trade.tradeNo(), trade.paidAt()));
            refund(get(payment.paymentNo()), "order cancelled; the close answered already paid");
        }
        else {
            refund(payment, "order cancelled; the close of an abnormal payment answered already paid");
        }
    }

    /**
     * Applies a verified callback: stored raw first (by the caller), then matched against its payment under the
     * payment's lock.
     * @return the outcome, for the callback record
     * @throws UnknownPaymentException when no payment has the callback's trade number (the channel retries)
     */
    @Transactional
    public String applyCallback(Notification notification) {
        Instant now = this.clock.instant();
        Payment payment = this.payments.lock(notification.outTradeNo())
            .orElseThrow(() -> new UnknownPaymentException(notification.outTradeNo()));
        Payment.CallbackDecision decision = payment.onCallback(notification, this.channel.merchantId());
        String outcome = switch (decision.outcome()) {
            case REFUSED -> {
                this.notOurs.increment();
                log.warn("ALERT refused callback {} for payment {}: {}; the payment is left as it is",
                        notification.notificationId(), payment.paymentNo(), decision.mismatch());
                yield REFUSED + decision.mismatch();
            }
            case MISMATCH -> abnormal(payment, "callback " + notification.notificationId(), decision.mismatch(), now);
            case MISMATCH_CAPTURED_AFTER_CLOSE -> {
                String abnormal = abnormal(payment, "callback " + notification.notificationId(), decision.mismatch(), now);
                // Money was taken after the close, whatever the callback says of it: give back what we asked.
                refund(payment, "captured after close; the callback did not match: " + decision.mismatch());
                yield abnormal + "; captured after close: refund requested";
            }
            case NOT_PAID -> "ignored: trade status " + notification.tradeStatus();
            case SUCCEED -> {
                this.payments.succeed(payment.paymentNo(), notification.tradeNo(), notification.paidAt(),
                        notification.amount(), now);
                this.outbox.publish(payment.orderNo(), new PaymentSucceeded(payment.paymentNo(), payment.orderNo(),
                        payment.amount(), notification.tradeNo(), notification.paidAt()));
                yield "succeeded";
            }
            case REFUND_CAPTURED_AFTER_CLOSE -> {
                refund(payment, "captured after the trade was closed");
                yield "captured after close: refunded";
            }
            case ALREADY_SETTLED -> "duplicate: payment already " + payment.status();
            case ALREADY_ABNORMAL -> "ignored: payment is abnormal";
        };
        this.payments.callbackProcessed(notification.notificationId(), outcome, now);
        return outcome;
    }

    private String abnormal(Payment payment, String source, String mismatch, Instant now) {
        this.abnormal.increment();
        log.error("ALERT payment {} of order {}: {} does not match: {}", payment.paymentNo(), payment.orderNo(), source,
                mismatch);
        if (this.payments.markAbnormal(payment.paymentNo(), mismatch, now)) {
            this.outbox.publish(payment.orderNo(), new PaymentAbnormal(payment.paymentNo(), payment.orderNo(), mismatch));
            return "abnormal: " + mismatch;
        }
        return "abnormal callback for a payment already " + payment.status() + ": " + mismatch;
    }

    /**
     * Requests the refund of the payment's captured money, in the caller's transaction: records it under the
     * number derived from the payment and moves the payment to {@code REFUNDING} (an abnormal payment keeps its
     * status). The refund worker issues it after the commit, and retries it with the same number until the
     * channel confirms it, so it is issued once.
     */
    private void refund(Payment payment, String reason) {
        Instant now = this.clock.instant();
        String refundNo = refundNo(payment.paymentNo());
        if (this.payments.requestRefund(refundNo, payment, reason, now)) {
            log.info("Refund {} of {} requested for payment {} (order {}): {}", refundNo, payment.amount(),
                    payment.paymentNo(), payment.orderNo(), reason);
            this.events.publishEvent(new RefundRequested(refundNo));
        }
        if (payment.status() == PaymentStatus.SUCCEEDED || payment.status() == PaymentStatus.CLOSED) {
            this.payments.move(payment.paymentNo(), payment.status(), PaymentStatus.REFUNDING, now);
        }
    }

    /** A refund was requested; published in the requesting transaction. */
    public record RefundRequested(String refundNo) {
    }

    /** The channel confirmed the refund: it is recorded, the payment is refunded, once. */
    @Transactional
    public void refundConfirmed(Payments.RefundTask task, Refund refund) {
        Instant now = this.clock.instant();
        if (!this.payments.refundIssued(task.refundNo(), refund.refundedAt())) {
            return;
        }
        this.payments.lock(task.paymentNo())
            .filter(p -> p.status() == PaymentStatus.REFUNDING)
            .ifPresent(p -> this.payments.move(p.paymentNo(), PaymentStatus.REFUNDING, PaymentStatus.REFUNDED, now));
        log.info("Refunded {} of payment {} (order {}) as {}", task.amount(), task.paymentNo(), task.orderNo(),
                task.refundNo());
        this.outbox.publish(task.orderNo(),
                new PaymentRefunded(task.paymentNo(), task.orderNo(), task.refundNo(), task.amount()));
    }

    /**
     * Applies what a query learnt of a paying payment, through the same transitions as a callback: paid becomes
     * {@code SUCCEEDED} (and is refunded when the order is cancelled), closed or expired becomes {@code CLOSED}.
     * @param trade the channel's view, {@code null} when it knows no such trade
     * @return what was learnt, or {@code null} when the payment is still unknown
     */
    @Transactional
    public @Nullable String applyQuery(String paymentNo, @Nullable Trade trade) {
        Instant now = this.clock.instant();
        Payment payment = this.payments.lock(paymentNo).orElseThrow(() -> new UnknownPaymentException(paymentNo));
        if (payment.status() != PaymentStatus.PAYING) {
            return "settled meanwhile: " + payment.status();
        }
        if (trade == null) {
            return null;
        }
        return switch (trade.status()) {
            case WAIT_PAY -> null;
            case CLOSED -> {
                this.payments.move(paymentNo, PaymentStatus.PAYING, PaymentStatus.CLOSED, now);
                yield "closed at the channel";
            }
            case SUCCESS -> {
                String mismatch = payment.tradeMismatch(trade);
                if (mismatch != null) {
                    yield abnormal(payment, "query", mismatch, now);
                }
                Instant paidAt = trade.paidAt() != null ? trade.paidAt() : now;
                this.payments.succeed(paymentNo, trade.tradeNo(), paidAt, trade.captured(), now);
                this.outbox.publish(payment.orderNo(), new PaymentSucceeded(paymentNo, payment.orderNo(),
                        payment.amount(), trade.tradeNo(), paidAt));
                if (this.payments.orderCancelled(payment.orderNo())) {
                    refund(get(paymentNo), "paid (found by query) for a cancelled order");
                    yield "paid, found by query; refunded: the order is cancelled";
                }
                yield "paid, found by query";
            }
        };
    }

    /**
     * Repairs a capture the channel's statement shows and we missed: a paying payment becomes {@code SUCCEEDED}
     * (refunded if its order is cancelled), a closed one is refunded (captured after close).
     * @return the repair made, or {@code null} when the payment's state does not allow a safe repair
     */
    @Transactional
    public @Nullable String repairCapture(String paymentNo, Trade trade) {
        Payment payment = this.payments.lock(paymentNo).orElseThrow(() -> new UnknownPaymentException(paymentNo));
        return switch (payment.status()) {
            case PAYING -> applyQuery(paymentNo, trade);
            case CLOSED -> {
                refund(payment, "captured after close, found by reconciliation");
                yield "captured after close: refund requested";
            }
            default -> null;
        };
    }

    /** Stores a verified callback raw, before it is applied. */
    @Transactional
    public void store(Notification notification, String body) {
        this.payments.storeCallback(notification.notificationId(), notification.outTradeNo(), body, this.clock.instant());
    }

    /** The payment. */
    @Transactional(readOnly = true)
    public Payment get(String paymentNo) {
        return this.payments.find(paymentNo).orElseThrow(() -> new UnknownPaymentException(paymentNo));
    }

    /** The order's payments, oldest first. */
    @Transactional(readOnly = true)
    public List<Payment> ofOrder(String orderNo) {
        return this.payments.ofOrder(orderNo);
    }

    /** A created (or found) payment, and whether it is new. */
    public record Created(Payment payment, boolean isNew) {
    }
}
