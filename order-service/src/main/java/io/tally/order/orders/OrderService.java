package io.tally.order.orders;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.tally.events.Events.OrderAwaitingPayment;
import io.tally.events.Events.OrderCancelled;
import io.tally.events.Events.OrderCreated;
import io.tally.events.Events.OrderLine;
import io.tally.events.Events.OrderPaid;
import io.tally.events.Events.PaymentAbnormal;
import io.tally.events.Events.PaymentRefunded;
import io.tally.events.Events.PaymentSucceeded;
import io.tally.events.Events.PricedLine;
import io.tally.events.Events.StockRejected;
import io.tally.events.Events.StockReserved;
import io.tally.order.coupon.Coupons;
import io.tally.outbox.Outbox;

/**
 * The order saga: each step moves the order by a conditional update and records its event in the outbox, in
 * one transaction. The loser of a race (payment against timeout or user cancel) finds the order already moved
 * and takes the other path.
 */
@Service
public class OrderService {

    private static final Logger log = LoggerFactory.getLogger(OrderService.class);

    private final Orders orders;

    private final Coupons coupons;

    private final Outbox outbox;

    private final Clock clock;

    private final OrderProperties properties;

    OrderService(Orders orders, Coupons coupons, Outbox outbox, Clock clock, OrderProperties properties) {
        this.orders = orders;
        this.coupons = coupons;
        this.outbox = outbox;
        this.clock = clock;
        this.properties = properties;
    }

    /**
     * Places an order, or answers the order this same request placed already (found by its idempotency key: its
     * first run committed, but its response was not stored).
     * @param request kept with the order; may be {@code null}
     * @throws io.tally.http.IdempotencyKeyReusedException when another request placed an order with this key
     */
    @Transactional
    public Order place(String userId, List<Order.Item> items, io.tally.http.@Nullable IdempotentRequest request) {
        if (request != null) {
            var existing = this.orders.findByIdempotencyKey(request.key());
            if (existing.isPresent()) {
                request.requireSameRequest(existing.get().hash());
                return get(existing.get().orderNo());
            }
        }
        String orderNo = "O" + UUID.randomUUID().toString().replace("-", "").substring(0, 20).toUpperCase(Locale.ROOT);
        this.orders.insert(orderNo, userId, items, request, this.clock.instant());
        this.outbox.publish(orderNo, new OrderCreated(orderNo, userId,
                items.stream().map(i -> new OrderLine(i.sku(), i.quantity())).toList()));
        return get(orderNo);
    }

    /** The order, read by one statement: no transaction of its own. */
    public Order get(String orderNo) {
        return this.orders.find(orderNo).orElseThrow(() -> new UnknownOrderException(orderNo));
    }

    /**
     * The user cancels. Cancelling a cancelled order answers it as it is.
     * @throws OrderNotCancellableException when the order is paid
     */
    @Transactional
    public Order cancelByUser(String orderNo) {
        get(orderNo);
        if (this.orders.toCancelled(orderNo, CancelReason.USER, null, this.clock.instant())) {
            this.outbox.publish(orderNo, new OrderCancelled(orderNo, CancelReason.USER.name()));
            return get(orderNo);
        }
        Order now = get(orderNo);
        if (now.status() == OrderStatus.CANCELLED) {
            return now;
        }
        throw new OrderNotCancellableException(orderNo, now.status());
    }

    /** The stock is reserved: the order awaits payment until its shown deadline, plus the grace. */
    @Transactional
    public void stockReserved(StockReserved event) {
        Instant now = this.clock.instant();
        Instant deadline = now.plus(this.properties.paymentWindow()).truncatedTo(ChronoUnit.MILLIS);
        Instant cancelAt = deadline.plus(this.properties.cancelGrace());
        if (!this.orders.toAwaitingPayment(event.orderNo(), event.totalAmount(), event.currency(), deadline, cancelAt,
                now)) {
            log.info("Stock reserved for order {}, which is {}: nothing to do (a cancel releases the stock)",
                    event.orderNo(), get(event.orderNo()).status());
            return;
        }
        for (PricedLine line : event.lines()) {
            this.orders.price(event.orderNo(), line.sku(), line.unitPrice());
        }
        this.outbox.publish(event.orderNo(),
                new OrderAwaitingPayment(event.orderNo(), event.totalAmount(), event.currency(), deadline));
    }

    /** The stock could not be reserved: the order is cancelled. */
    @Transactional
    public void stockRejected(StockRejected event) {
        if (this.orders.toCancelled(event.orderNo(), CancelReason.OUT_OF_STOCK, event.reason(), this.clock.instant())) {
            this.outbox.publish(event.orderNo(), new OrderCancelled(event.orderNo(), CancelReason.OUT_OF_STOCK.name()));
        }
    }

    /**
     * The payment succeeded: the order is paid and its coupon granted, once. If the order was cancelled first, it
     * stays cancelled: payment-service refunds a payment of a cancelled order when it handles the cancellation.
     */
    @Transactional
    public void paymentSucceeded(PaymentSucceeded event) {
        Instant now = this.clock.instant();
        if (this.orders.toPaid(event.orderNo(), event.paymentNo(), now)) {
            Order order = get(event.orderNo());
            this.coupons.grant(order.userId(), order.orderNo(), this.properties.couponAmount(),
                    order.currency() != null ? order.currency() : "CNY", now);
            this.outbox.publish(order.orderNo(), new OrderPaid(order.orderNo(), event.paymentNo()));
            return;
        }
        Order order = get(event.orderNo());
        switch (order.status()) {
            case PAID -> {
                if (!event.paymentNo().equals(order.paymentNo())) {
                    log.error("Order {} is paid by {}, and payment {} succeeded too: payment-service refunds it",
                            order.orderNo(), order.paymentNo(), event.paymentNo());
                }
            }
            case CANCELLED -> log.info("Payment {} succeeded after order {} was cancelled ({}): it is refunded",
                    event.paymentNo(), order.orderNo(), order.cancelReason());
            default -> throw new IllegalStateException("Payment " + event.paymentNo() + " succeeded for order "
                    + order.orderNo() + ", which is " + order.status());
        }
    }

    /** A refund was issued: noted on the order, once per refund number. */
    @Transactional
    public void paymentRefunded(PaymentRefunded event) {
        this.orders.noteRefund(event.orderNo(), event.paymentNo(), event.refundNo(), event.amount(), this.clock.instant());
    }

    /** A callback did not match its payment: noted on the order for operators; the order itself does not move. */
    @Transactional
    public void paymentAbnormal(PaymentAbnormal event) {
        log.warn("Payment {} of order {} is abnormal: {}", event.paymentNo(), event.orderNo(), event.mismatch());
        this.orders.alert(event.orderNo(), "payment " + event.paymentNo() + " abnormal: " + event.mismatch(),
                this.clock.instant());
    }

    /**
     * Cancels the order if it is still awaiting payment and its time has come.
     * @return whether this call cancelled it
     */
    @Transactional
    public boolean timeOut(String orderNo) {
        if (!this.orders.toTimedOut(orderNo, this.clock.instant())) {
            return false;
        }
        this.outbox.publish(orderNo, new OrderCancelled(orderNo, CancelReason.TIMEOUT.name()));
        return true;
    }

    /** The orders whose cancellation time has come, oldest first. */
    @Transactional(readOnly = true)
    public List<String> due(int limit) {
        return this.orders.due(this.clock.instant(), limit);
    }
}
