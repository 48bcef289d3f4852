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
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.client.HttpClientErrorException;

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

    private final TransactionTemplate transaction;

    PaymentService(Payments payments, ChannelClient channel, Outbox outbox, Clock clock, MeterRegistry meters,
            PaymentProperties properties, ApplicationEventPublisher events, TransactionTemplate transaction) {
        this.payments = payments;
        this.transaction = transaction;
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
     * <p>
     * No transaction is open while the channel is called: the payment is recorded and committed first (the intent),
     * then the trade is created, then its number is recorded. The channel creates one trade per payment number, so
     * a payment whose creation did not get an answer gets its trade when it is asked for again (the same request, or
     * any payment request for the order); one the channel refused is withdrawn. A payment whose order was cancelled
     * while its trade was being opened has that trade closed once it exists.
     * @param token a one-time payment token to consume, or {@code null}
     * @throws NotPayableException when the order is unknown, cancelled, paid or past its deadline, or the token
     * is not valid for it
     * @throws org.springframework.web.client.RestClientException when the channel cannot be reached or refuses the
     * trade: the order stays payable
     */
    public Created create(String orderNo, io.tally.http.@Nullable IdempotentRequest request, @Nullable String token) {
        Created started = this.transaction.execute(status -> start(orderNo, request, token));
        Payment payment = started.payment();
        if (payment.status() != PaymentStatus.PAYING || payment.channelTradeNo() != null) {
            return started;
        }
        Trade trade;
        try {
            trade = this.channel.createTrade(payment.paymentNo(), payment.amount(), payment.currency(), payment.expireAt(),
                    "Order " + orderNo);
        }
        catch (HttpClientErrorException refused) {
            // the channel refused to open it: no trade exists, so the attempt is withdrawn and the order stays payable
            this.transaction.executeWithoutResult(status -> this.payments.withdraw(payment.paymentNo()));
            throw refused;
        }
        boolean reopened = Boolean.TRUE.equals(this.transaction.execute(
                status -> this.payments.tradeCreated(payment.paymentNo(), trade.tradeNo(), this.clock.instant())));
        if (reopened) {
            this.events.publishEvent(new CloseRequested(payment.paymentNo()));
        }
        Payment created = get(payment.paymentNo());
        if (created.status() != PaymentStatus.PAYING) {
            throw new NotPayableException(orderNo, "it was cancelled while its trade was being opened");
        }
        return new Created(created, started.isNew());
    }

    /** The transaction of {@link #create}: the checks, and the payment recorded (or the open one found). */
    private Created start(String orderNo, io.tally.http.@Nullable IdempotentRequest request, @Nullable String token) {
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
        this.payments.insert(paymentNo, order, request, now, this.properties.nextQuery(now, 0, order.payDeadline()));
        return new Created(this.payments.find(paymentNo).orElseThrow(), true);
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
     * The order was cancelled: no payment may start any more; an open trade is to be closed, and money the channel
     * captured already is refunded once. Nothing here calls the channel: the closes are recorded as due and
     * carried out after the commit ({@link CloseRequested}), so the cancellation commits whatever the channel
     * answers, and a close that fails is retried by the background checks.
     */
    @Transactional
    public void orderCancelled(String orderNo, String reason) {
        Instant now = this.clock.instant();
        this.payments.cancelPayable(orderNo, reason, now);
        for (Payment payment : this.payments.lockOfOrder(orderNo)) {
            switch (payment.status()) {
                case PAYING, ABNORMAL -> {
                    this.payments.closeDue(payment.paymentNo(), now);
                    this.events.publishEvent(new CloseRequested(payment.paymentNo()));
                }
                case SUCCEEDED -> refund(payment, "order " + orderNo + " cancelled (" + reason + ") after payment");
                case CLOSED, REFUNDING, REFUNDED -> log.debug("Payment {} is {}: nothing to undo", payment.paymentNo(),
                        payment.status());
            }
        }
    }

    /** A close of the payment's trade was recorded as due; published in the recording transaction. */
    public record CloseRequested(String paymentNo) {
    }

    /**
     * Applies what the channel answered to the close of a cancelled order's trade, under the payment's lock.
     * @param answer what the close did
     * @param trade the channel's view of the trade when the close answered already paid, else {@code null}
     * @return what was done, or {@code null} when the answer cannot be acted on yet (the close is tried again)
     */
    @Transactional
    public @Nullable String applyClose(String paymentNo, CloseOutcome answer, @Nullable Trade trade) {
        Instant now = this.clock.instant();
        Payment payment = this.payments.lock(paymentNo).orElseThrow(() -> new UnknownPaymentException(paymentNo));
        Payment.CloseDecision decision = payment.onClose(answer, trade);
        String done = switch (decision.outcome()) {
            case CLOSE -> {
                this.payments.move(paymentNo, PaymentStatus.PAYING, PaymentStatus.CLOSED, now);
                yield "closed";
            }
            case NOTHING -> "nothing to close: the payment is " + payment.status();
            case SUCCEED_AND_REFUND -> {
                paid(payment, trade.tradeNo(), trade.paidAt(), trade.captured(), now);
                yield "already paid: refund requested";
            }
            case ABNORMAL_AND_REFUND -> {
                capturedBy(payment, trade, now);
                String abnormal = abnormal(payment, "close", decision.mismatch(), now);
                refund(payment, "order cancelled; the close answered already paid, but " + decision.mismatch());
                yield abnormal + "; refund requested";
            }
            case REFUND -> {
                if (payment.status() != PaymentStatus.SUCCEEDED) {
                    capturedBy(payment, trade, now);
                }
                refund(payment, "order cancelled; the close answered already paid");
                yield "already paid: refund requested";
            }
            case UNCONFIRMED -> null;
        };
        if (done != null) {
            this.payments.closeDone(paymentNo);
        }
        return done;
    }

    /**
     * The payment is paid as asked: it succeeds, and its success is published; if its order is cancelled (the
     * cancellation came first), the money is refunded.
     * @return whether it was refunded
     */
    private boolean paid(Payment payment, String tradeNo, Instant paidAt, long captured, Instant now) {
        this.payments.succeed(payment.paymentNo(), tradeNo, paidAt, captured, now);
        this.outbox.publish(payment.orderNo(), new PaymentSucceeded(payment.paymentNo(), payment.orderNo(),
                payment.amount(), tradeNo, paidAt));
        if (this.payments.orderCancelled(payment.orderNo())) {
            refund(get(payment.paymentNo()), "paid for a cancelled order");
            return true;
        }
        return false;
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
            case MISMATCH -> {
                if (Notification.TRADE_SUCCESS.equals(notification.tradeStatus())) {
                    capturedBy(payment, notification, now);
                }
                yield abnormal(payment, "callback " + notification.notificationId(), decision.mismatch(), now);
            }
            case MISMATCH_CAPTURED_AFTER_CLOSE -> {
                capturedBy(payment, notification, now);
                String abnormal = abnormal(payment, "callback " + notification.notificationId(), decision.mismatch(), now);
                // Money was taken after the close, whatever the callback says of it: give back what we asked.
                refund(payment, "captured after close; the callback did not match: " + decision.mismatch());
                yield abnormal + "; captured after close: refund requested";
            }
            case NOT_PAID -> "ignored: trade status " + notification.tradeStatus();
            case SUCCEED -> paid(payment, notification.tradeNo(), notification.paidAt(), notification.amount(), now)
                    ? "succeeded; refunded: the order is cancelled" : "succeeded";
            case REFUND_CAPTURED_AFTER_CLOSE -> {
                capturedBy(payment, notification, now);
                refund(payment, "captured after the trade was closed");
                yield "captured after close: refunded";
            }
            case ALREADY_SETTLED -> "duplicate: payment already " + payment.status();
            case ALREADY_ABNORMAL -> "ignored: payment is abnormal";
        };
        this.payments.callbackProcessed(notification.notificationId(), outcome, now);
        return outcome;
    }

    private void capturedBy(Payment payment, Notification notification, Instant now) {
        this.payments.captured(payment.paymentNo(), notification.tradeNo(), notification.paidAt(), notification.amount(),
                now);
    }

    private void capturedBy(Payment payment, Trade trade, Instant now) {
        this.payments.captured(payment.paymentNo(), trade.tradeNo(), trade.paidAt(), trade.captured(), now);
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
                    capturedBy(payment, trade, now);
                    yield abnormal(payment, "query", mismatch, now);
                }
                Instant paidAt = trade.paidAt() != null ? trade.paidAt() : now;
                yield paid(payment, trade.tradeNo(), paidAt, trade.captured(), now)
                        ? "paid, found by query; refunded: the order is cancelled" : "paid, found by query";
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
                capturedBy(payment, trade, Instant.now(this.clock));
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
