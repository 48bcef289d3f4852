package io.tally.flow;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The invariants of DESIGN section 8 for a set of orders and the SKUs they use, checked through the public API
 * and the channel's ledger.
 */
final class Invariants {

    private final FlowFixtures system;

    private final Map<String, Integer> stockPutIn = new HashMap<>();

    private final Map<String, PlacedOrder> orders = new HashMap<>();

    Invariants(FlowFixtures system) {
        this.system = system;
    }

    /** An order as placed. */
    record PlacedOrder(String orderNo, String userId, Map<String, Integer> items) {
    }

    /** Counts of the outcomes seen by the last {@link #check()}. */
    record Outcome(int paid, int cancelled, int cancelledWithMoneyBack) {
    }

    Invariants stock(String sku, long price, int available) {
        assertThat(this.system.putStock(sku, price, available).status()).isEqualTo(200);
        this.stockPutIn.put(sku, available);
        return this;
    }

    String place(String userId, Map<String, Integer> items) {
        String orderNo = this.system.placeOrder(userId, items);
        this.orders.put(orderNo, new PlacedOrder(orderNo, userId, items));
        return orderNo;
    }

    /** Asserts every invariant; answers how the orders ended. */
    Outcome check() {
        Map<String, JsonNode> ledger = this.system.ledger();
        Map<String, Integer> soldBySku = new HashMap<>();
        int paid = 0;
        int cancelled = 0;
        int moneyBack = 0;
        for (PlacedOrder placed : this.orders.values()) {
            JsonNode order = this.system.order(placed.orderNo());
            String status = order.get("status").asString();
            assertThat(status).as("order %s is final (invariant 1)", placed.orderNo()).isIn("PAID", "CANCELLED");
            long net = 0;
            long captured = 0;
            for (JsonNode payment : this.system.send("GET", this.system.paymentUrl + "/api/payments?orderNo="
                    + placed.orderNo(), null, Map.of()).body()) {
                assertThat(payment.get("status").asString()).as("payment of %s", placed.orderNo())
                    .isNotEqualTo("REFUNDING");
                JsonNode trade = ledger.get(payment.get("paymentNo").asString());
                if (trade != null) {
                    assertThat(trade.get("refunds").size()).as("refunds of %s (invariant 4)", placed.orderNo())
                        .isLessThanOrEqualTo(1);
                    net += trade.get("captured").asLong() - trade.get("refunded").asLong();
                    captured += trade.get("captured").asLong();
                }
            }
            long coupons = 0;
            for (JsonNode coupon : this.system.coupons(placed.userId())) {
                if (coupon.get("orderNo").asString().equals(placed.orderNo())) {
                    coupons++;
                }
            }
            if ("PAID".equals(status)) {
                paid++;
                assertThat(net).as("money kept for paid order %s (invariant 2)", placed.orderNo())
                    .isEqualTo(order.get("amount").asLong());
                assertThat(coupons).as("coupons of paid order %s (invariant 4)", placed.orderNo()).isEqualTo(1);
                placed.items().forEach((sku, quantity) -> soldBySku.merge(sku, quantity, Integer::sum));
            }
            else {
                cancelled++;
                if (captured > 0) {
                    moneyBack++;
                }
                assertThat(net).as("money kept for cancelled order %s (invariant 2)", placed.orderNo()).isZero();
                assertThat(coupons).as("coupons of cancelled order %s", placed.orderNo()).isZero();
            }
        }
        this.stockPutIn.forEach((sku, putIn) -> {
            JsonNode stock = this.system.stock(sku);
            int available = stock.get("available").asInt();
            int reserved = stock.get("reserved").asInt();
            int sold = stock.get("sold").asInt();
            assertThat(reserved).as("reserved of %s (invariant 3)", sku).isZero();
            assertThat(available + reserved + sold).as("stock of %s balances (invariant 3)", sku).isEqualTo(putIn);
            assertThat(sold).as("sold of %s equals paid quantities (invariant 3)", sku)
                .isEqualTo(soldBySku.getOrDefault(sku, 0));
        });
        return new Outcome(paid, cancelled, moneyBack);
    }

    List<PlacedOrder> orders() {
        return List.copyOf(this.orders.values());
    }
}
