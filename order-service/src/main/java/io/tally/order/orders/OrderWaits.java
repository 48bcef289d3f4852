package io.tally.order.orders;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.springframework.stereotype.Component;

/**
 * Waiting for an order to change without polling: a request that already holds the order's current version
 * (its entity tag) may ask to wait, up to {@link OrderProperties#waitMax()}, for the next one. It is answered as
 * soon as a change commits in this instance (signalled by {@link OrderChanges}), and otherwise finds changes
 * committed elsewhere by reading the order again every {@link OrderProperties#waitRecheck()}. Nothing holds a
 * thread or a connection while it waits.
 */
@Component
public class OrderWaits {

    private final OrderService orders;

    private final OrderChanges changes;

    private final OrderProperties properties;

    private final Clock clock;

    private final Executor readers;

    OrderWaits(OrderService orders, OrderChanges changes, OrderProperties properties, Clock clock) {
        this.orders = orders;
        this.changes = changes;
        this.properties = properties;
        this.clock = clock;
        this.readers = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
    }

    /**
     * The entity tag of the order as shown: it changes whenever anything shown changes, and is the same in
     * every instance.
     */
    public static String tag(Order order) {
        CRC32C crc = new CRC32C();
        crc.update(order.toString().getBytes(StandardCharsets.UTF_8));
        return "\"" + Long.toHexString(crc.getValue()) + "\"";
    }

    /** How long a request that asks to wait this long may wait. */
    public Duration bound(Duration asked) {
        return asked.compareTo(this.properties.waitMax()) > 0 ? this.properties.waitMax() : asked;
    }

    /**
     * The order once it differs from the version tagged {@code tag}, or empty when it has not changed within
     * {@code wait} (or when too many requests wait already, at once).
     * @throws UnknownOrderException (through the future) when there is no such order
     */
    public CompletableFuture<Optional<Order>> changedFrom(String orderNo, String tag, Duration wait) {
        return step(orderNo, tag, this.clock.instant().plus(bound(wait)));
    }

    private CompletableFuture<Optional<Order>> step(String orderNo, String tag, Instant until) {
        Optional<OrderChanges.Wait> next = this.changes.next(orderNo);
        if (next.isEmpty()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        OrderChanges.Wait wait = next.get();
        // subscribed first, read second: a change that commits between the two is seen by one or the other
        return CompletableFuture.supplyAsync(() -> this.orders.get(orderNo), this.readers).thenCompose(now -> {
            if (!tag(now).equals(tag)) {
                return CompletableFuture.completedFuture(Optional.of(now));
            }
            Duration left = Duration.between(this.clock.instant(), until);
            if (!left.isPositive()) {
                return CompletableFuture.completedFuture(Optional.<Order>empty());
            }
            Duration pause = left.compareTo(this.properties.waitRecheck()) < 0 ? left : this.properties.waitRecheck();
            return wait.signal().completeOnTimeout(null, pause.toMillis(), TimeUnit.MILLISECONDS)
                .thenComposeAsync(woken -> {
                    this.changes.forget(wait);
                    return step(orderNo, tag, until);
                }, this.readers);
        }).whenComplete((result, failure) -> this.changes.forget(wait));
    }
}
