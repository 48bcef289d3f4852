package io.tally.events;

import java.time.Instant;
import java.util.List;

import io.tally.contract.EventType;

/**
 * The events of this system (docs/design.md, "Events"): what order-, inventory- and payment-service tell each
 * other. Amounts are integers in minor units with an ISO-4217 currency code. Their JSON Schemas and the AsyncAPI
 * document that names their exchanges and headers are published beside them ({@code /contracts/} on every
 * service).
 */
public final class Events {

    private Events() {
    }

    /** An order line as placed. */
    public record OrderLine(String sku, int quantity) {
    }

    /** An order line with the unit price the inventory charged. */
    public record PricedLine(String sku, int quantity, long unitPrice) {
    }

    @EventType(name = "order.created", exchange = "order.events")
    public record OrderCreated(String orderNo, String userId, List<OrderLine> items) {
    }

    @EventType(name = "stock.reserved", exchange = "inventory.events")
    public record StockReserved(String orderNo, List<PricedLine> lines, long totalAmount, String currency) {
    }

    @EventType(name = "stock.rejected", exchange = "inventory.events")
    public record StockRejected(String orderNo, String reason) {
    }

    @EventType(name = "order.awaiting-payment", exchange = "order.events")
    public record OrderAwaitingPayment(String orderNo, long amount, String currency, Instant payDeadline) {
    }

    @EventType(name = "payment.succeeded", exchange = "payment.events")
    public record PaymentSucceeded(String paymentNo, String orderNo, long amount, String channelTradeNo,
            Instant paidAt) {
    }

    @EventType(name = "order.paid", exchange = "order.events")
    public record OrderPaid(String orderNo, String paymentNo) {
    }

    @EventType(name = "order.cancelled", exchange = "order.events")
    public record OrderCancelled(String orderNo, String reason) {
    }

    @EventType(name = "payment.refunded", exchange = "payment.events")
    public record PaymentRefunded(String paymentNo, String orderNo, String refundNo, long amount) {
    }

    @EventType(name = "payment.abnormal", exchange = "payment.events")
    public record PaymentAbnormal(String paymentNo, String orderNo, String mismatch) {
    }
}
