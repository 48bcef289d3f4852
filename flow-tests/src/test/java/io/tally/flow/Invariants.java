package io.tally.flow;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.tally.system.PublicApi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The invariants of the design for a set of orders and the SKUs they use, checked by the system test's checker
 * (public API, the channel's ledger, the services' tables and queues) on the flow tests' running system.
 */
final class Invariants {

    /**
     * Longer than the longest delay the flow fixtures schedule anything with (re-drives 5 s, callback retries
     * 4 s, consumer retries 1 s, queries 1.5 s, refunds 0.6 s): once the invariants hold, they must keep holding
     * this long, or something still scheduled broke them.
     */
    static final Duration STABLE = Duration.ofSeconds(6);

    private static final Duration CONVERGED = Duration.ofSeconds(60);

    private final FlowFixtures system;

    private final io.tally.system.Invariants checker;

    private final Map<String, Integer> stockPutIn = new ConcurrentHashMap<>();

    private final Map<String, io.tally.system.Invariants.Placed> orders = new ConcurrentHashMap<>();

    Invariants(FlowFixtures system) {
        this.system = system;
        this.checker = new io.tally.system.Invariants(system, new PublicApi(system, Duration.ofSeconds(30), Duration.ofSeconds(5)),
                io.tally.system.Invariants.Scope.THESE_ORDERS);
    }

    /** Counts of the outcomes seen by a check. */
    record Outcome(int paid, int cancelled, int cancelledWithMoneyBack) {
    }

    Invariants stock(String sku, long price, int available) {
        assertThat(this.system.putStock(sku, price, available).status()).isEqualTo(200);
        this.stockPutIn.put(sku, available);
        return this;
    }

    String place(String userId, Map<String, Integer> items) {
        String orderNo = this.system.placeOrder(userId, items);
        this.orders.put(orderNo, new io.tally.system.Invariants.Placed(orderNo, userId, new HashMap<>(items)));
        return orderNo;
    }

    /** Checks an order placed by the test itself (with its own idempotency key, say) with the others. */
    void track(String orderNo, String userId, Map<String, Integer> items) {
        this.orders.put(orderNo, new io.tally.system.Invariants.Placed(orderNo, userId, new HashMap<>(items)));
    }

    /** Asserts every invariant now; answers how the orders ended. */
    Outcome check() {
        io.tally.system.Invariants.Check check = this.checker.check(this.orders.values(), this.stockPutIn, false);
        assertThat(check.broken()).as("broken invariants").isEmpty();
        int paid = 0;
        int cancelled = 0;
        int moneyBack = 0;
        for (String orderNo : this.orders.keySet()) {
            if ("PAID".equals(check.status(orderNo))) {
                paid++;
            }
            else {
                cancelled++;
                moneyBack += check.captured(orderNo) > 0 ? 1 : 0;
            }
        }
        return new Outcome(paid, cancelled, moneyBack);
    }

    /**
     * Waits until every invariant holds, then asserts that they keep holding for {@link #STABLE}; answers how the
     * orders ended.
     */
    Outcome converged() {
        java.util.concurrent.atomic.AtomicReference<Outcome> converged = new java.util.concurrent.atomic.AtomicReference<>();
        await().atMost(CONVERGED).untilAsserted(() -> converged.set(check()));
        Outcome first = converged.get();
        // then checked over and over, back to back, for longer than anything still scheduled could take to fire
        long until = System.nanoTime() + STABLE.toNanos();
        List<Outcome> seen = new ArrayList<>(List.of(first));
        do {
            seen.add(check());
        } while (System.nanoTime() < until);
        assertThat(seen).as("the outcome changed while the invariants held").allMatch(first::equals);
        return first;
    }

    List<io.tally.system.Invariants.Placed> orders() {
        return List.copyOf(this.orders.values());
    }
}
