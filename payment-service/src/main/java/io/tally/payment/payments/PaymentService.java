package io.tally.payment.payments;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.client.HttpClientErrorException;

import io.tally.channel.ChannelMessages.Trade;
import io.tally.events.Events.OrderAwaitingPayment;
import io.tally.payment.channel.Channels;
import io.tally.payment.channel.OpenedTrade;
import io.tally.payment.channel.PaymentChannel;
import io.tally.payment.queries.CloseRequested;
import io.tally.payment.queries.CloseSchedule;

/**
 * Payments against the channel: the order becomes payable, a payment and its trade are created for it, and its
 * cancellation stops payments, closes open trades and refunds money captured. Callbacks and the order's
 * cancellation meet on the payment row: each moves it by a conditional update under the row's lock, and whichever
 * comes second takes the other path. Money captured for a cancelled order is refunded with a refund number derived
 * from the payment, so it is refunded once.
 */
@Service
public class PaymentService {

    private static final Logger log = LoggerFactory.getLogger(PaymentService.class);

    private final PaymentStore store;

    private final PayableOrders orders;

    private final Settlement settlement;

    private final CloseSchedule closes;

    private final Channels channels;

    private final Clock clock;

    private final PaymentProperties properties;

    private final ApplicationEventPublisher events;

    private final TransactionTemplate transaction;

    PaymentService(PaymentStore store, PayableOrders orders, Settlement settlement, CloseSchedule closes,
            Channels channels, Clock clock, PaymentProperties properties, ApplicationEventPublisher events,
            TransactionTemplate transaction) {
        this.store = store;
        this.orders = orders;
        this.settlement = settlement;
        this.closes = closes;
        this.transaction = transaction;
        this.channels = channels;
        this.clock = clock;
        this.properties = properties;
        this.events = events;
    }

    /** The order awaits payment: payments may be created for it until its shown deadline. */
    @Transactional
    public void orderAwaitingPayment(OrderAwaitingPayment event) {
        this.orders.payable(event.orderNo(), event.amount(), event.currency(), event.payDeadline(), this.clock.instant());
    }

    /**
     * Waits, holding no transaction and no connection between looks, until payment-service has heard of the order
     * (its {@code order.awaiting-payment} or its cancellation), at most {@code wait}.
     * @return whether it is known now
     */
    public boolean awaitKnown(String orderNo, java.time.Duration wait, java.time.Duration poll) {
        long until = System.nanoTime() + wait.toNanos();
        while (!this.orders.knowsOrder(orderNo)) {
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
    public Created create(String orderNo, io.tally.http.@Nullable IdempotentRequest request, @Nullable String token,
            @Nullable String channelName) {
        PaymentChannel channel = this.channels.named(channelName);
        Created started = this.transaction.execute(status -> start(orderNo, request, token, channel.name()));
        Payment payment = started.payment();
        if (payment.status() != PaymentStatus.PAYING || payment.channelTradeNo() != null || payment.payCode() != null) {
            return started;
        }
        OpenedTrade trade;
        try {
            trade = this.channels.named(payment.channel()).createTrade(payment.paymentNo(), payment.amount(), payment.currency(), payment.expireAt(),
                    "Order " + orderNo);
        }
        catch (HttpClientErrorException refused) {
            // the channel refused to open it: no trade exists, so the attempt is withdrawn and the order stays payable
            this.transaction.executeWithoutResult(status -> this.store.withdraw(payment.paymentNo()));
            throw refused;
        }
        boolean reopened = Boolean.TRUE.equals(this.transaction.execute(status -> {
            Instant now = this.clock.instant();
            this.store.tradeCreated(payment.paymentNo(), trade.tradeNo(), trade.payCode());
            // closed meanwhile (its order was cancelled while the trade was being opened): the trade exists now
            return this.closes.dueIfClosed(payment.paymentNo(), now);
        }));
        if (reopened) {
            this.events.publishEvent(new CloseRequested(payment.paymentNo()));
        }
        Payment created = get(payment.paymentNo());
        // a trade that could not be closed yet (Alipay cannot close a QR code nobody scanned before it expires) leaves
        // the payment PAYING while its close is retried: the order is cancelled all the same
        if (created.status() != PaymentStatus.PAYING || this.orders.cancelled(orderNo)) {
            throw new NotPayableException(orderNo, "it was cancelled while its trade was being opened");
        }
        return new Created(created, started.isNew());
    }

    /** The transaction of {@link #create}: the checks, and the payment recorded (or the open one found). */
    private Created start(String orderNo, io.tally.http.@Nullable IdempotentRequest request, @Nullable String token,
            String channel) {
        if (request != null) {
            var existing = this.store.findByIdempotencyKey(request.key());
            if (existing.isPresent()) {
                request.requireSameRequest(existing.get().hash());
                return new Created(get(existing.get().paymentNo()), false);
            }
        }
        Instant now = this.clock.instant();
        PayableOrders.PayableOrder order = this.orders.lockPayable(orderNo)
            .orElseThrow(() -> new NotPayableException(orderNo, "it is not awaiting payment"));
        if (order.status() != PayableStatus.AWAITING_PAYMENT || order.payDeadline() == null || order.amount() == null) {
            throw new NotPayableException(orderNo, "it is " + order.status().name().toLowerCase(Locale.ROOT));
        }
        if (!now.isBefore(order.payDeadline())) {
            throw new NotPayableException(orderNo, "its payment deadline " + order.payDeadline() + " has passed");
        }
        if (token != null && !this.orders.consumeToken(token, orderNo, now)) {
            throw new NotPayableException(orderNo, "the payment token is unknown, used or expired");
        }
        for (Payment payment : this.store.ofOrder(orderNo)) {
            switch (payment.status()) {
                case PAYING -> {
                    if (!payment.channel().equals(channel)) {
                        throw new NotPayableException(orderNo, "payment " + payment.paymentNo() + " is open through "
                                + payment.channel() + "; pay it there, or ask again once it is closed");
                    }
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
        this.store.insert(paymentNo, order, channel, request, now, this.properties.nextQuery(now, 0, order.payDeadline()));
        return new Created(this.store.find(paymentNo).orElseThrow(), true);
    }

    /** Issues a one-time payment token for an order, valid until its deadline. */
    @Transactional
    public String issueToken(String orderNo) {
        PayableOrders.PayableOrder order = this.orders.lockPayable(orderNo)
            .filter(o -> o.status() == PayableStatus.AWAITING_PAYMENT && o.payDeadline() != null)
            .orElseThrow(() -> new NotPayableException(orderNo, "it is not awaiting payment"));
        String token = UUID.randomUUID().toString();
        this.orders.issueToken(token, orderNo, order.payDeadline());
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
        this.orders.cancelPayable(orderNo, reason, now);
        for (Payment payment : this.store.lockOfOrder(orderNo)) {
            switch (payment.status()) {
                case PAYING, ABNORMAL -> {
                    this.closes.due(payment.paymentNo(), now);
                    this.events.publishEvent(new CloseRequested(payment.paymentNo()));
                }
                case SUCCEEDED -> this.settlement.refund(payment,
                        "order " + orderNo + " cancelled (" + reason + ") after payment");
                case CLOSED, REFUNDING, REFUNDED -> log.debug("Payment {} is {}: nothing to undo", payment.paymentNo(),
                        payment.status());
            }
        }
    }

    /** The payment. */
    @Transactional(readOnly = true)
    public Payment get(String paymentNo) {
        return this.store.find(paymentNo).orElseThrow(() -> new UnknownPaymentException(paymentNo));
    }

    /** The order's payments, oldest first. */
    @Transactional(readOnly = true)
    public List<Payment> ofOrder(String orderNo) {
        return this.store.ofOrder(orderNo);
    }

    /** A created (or found) payment, and whether it is new. */
    public record Created(Payment payment, boolean isNew) {
    }
}
