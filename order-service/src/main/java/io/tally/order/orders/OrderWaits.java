package io.tally.order.orders;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Waiting for an order to change without polling: a request that already holds the order's current version
 * (its entity tag) may ask to wait, up to {@link OrderProperties#waitMax()}, for the next one. It is answered as
 * soon as a change commits in this instance (signalled by {@link OrderChanges}), and otherwise finds changes
 * committed elsewhere by reading the order again every {@link OrderProperties#waitRecheck()}. Nothing holds a
 * thread or a connection while it waits; at most {@link #READERS} of these reads run at once, so waiting clients
 * never take the connections the other requests need.
 * <p>
 * The length of a wait is measured on the monotonic clock ({@link System#nanoTime()}), not the service's
 * {@link java.time.Clock}: it bounds how long a request is held, and must end even when the business clock is
 * fixed or steps back.
 */
@Component
public class OrderWaits implements DisposableBean {

    /** How many waits may read the order at once (the connection pool holds 10 by default). */
    static final int READERS = 4;

    private static final Logger log = LoggerFactory.getLogger(OrderWaits.class);

    private final OrderService orders;

    private final OrderChanges changes;

    private final OrderProperties properties;

    private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();

    private final Semaphore reading = new Semaphore(READERS);

    OrderWaits(OrderService orders, OrderChanges changes, OrderProperties properties, MeterRegistry registry) {
        this.orders = orders;
        this.changes = changes;
        this.properties = properties;
        Gauge.builder("tally.order.waits.open", changes, OrderChanges::waiters)
            .description("Requests of this instance waiting for an order to change (long polls)")
            .register(registry);
    }

    /** How a wait ended: the order as it changed, or no change, or no wait at all (too many waiting). */
    public record Waited(@Nullable Order changed, boolean refused) {

        static final Waited UNCHANGED = new Waited(null, false);

        static final Waited REFUSED = new Waited(null, true);
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
     * Waits until the order differs from the version tagged {@code tag}, for at most {@code wait} (bounded), or
     * until {@code cancelled} (the request ended: timed out, failed, or the client went away).
     * @throws UnknownOrderException (through the future) when there is no such order
     */
    public CompletableFuture<Waited> changedFrom(String orderNo, String tag, Duration wait, BooleanSupplier cancelled) {
        CompletableFuture<Waited> result = new CompletableFuture<>();
        OrderChanges.Wait slot = this.changes.next(orderNo).orElse(null);
        if (slot == null) {
            result.complete(Waited.REFUSED);
            return result;
        }
        result.whenComplete((waited, failure) -> this.changes.forget(slot));
        long until = System.nanoTime() + bound(wait).toNanos();
        try {
            this.readers.execute(() -> check(orderNo, tag, until, slot, cancelled, result));
        }
        catch (RuntimeException rejected) { // shutting down
            result.complete(Waited.UNCHANGED);
        }
        return result;
    }

    /** One look at the order (the wait is armed already), then the wait for a signal or the next recheck. */
    private void check(String orderNo, String tag, long until, OrderChanges.Wait slot, BooleanSupplier cancelled,
            CompletableFuture<Waited> result) {
        if (result.isDone()) {
            return;
        }
        if (cancelled.getAsBoolean()) {
            result.complete(Waited.UNCHANGED);
            return;
        }
        Order now = read(orderNo, result);
        if (result.isDone()) {
            return;
        }
        if (now != null && !tag(now).equals(tag)) {
            result.complete(new Waited(now, false));
            return;
        }
        long left = until - System.nanoTime();
        if (left <= 0) {
            result.complete(Waited.UNCHANGED);
            return;
        }
        long pause = Math.min(left, this.properties.waitRecheck().toNanos());
        slot.signal().completeOnTimeout(null, pause, TimeUnit.NANOSECONDS).thenRunAsync(() -> {
            this.changes.rearm(slot);
            check(orderNo, tag, until, slot, cancelled, result);
        }, this.readers).exceptionally(rejected -> {
            result.complete(Waited.UNCHANGED); // shutting down
            return null;
        });
    }

    /** The order, read within the bound on concurrent reads; {@code null} when the read failed (no change seen). */
    private @Nullable Order read(String orderNo, CompletableFuture<Waited> result) {
        try {
            this.reading.acquire();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            result.complete(Waited.UNCHANGED);
            return null;
        }
        try {
            return this.orders.get(orderNo);
        }
        catch (UnknownOrderException ex) {
            result.completeExceptionally(ex);
            return null;
        }
        catch (RuntimeException ex) {
            // the database is busy or away: this look saw no change, the next one may
            log.debug("A waiting request could not read order {}: {}", orderNo, ex.toString());
            return null;
        }
        finally {
            this.reading.release();
        }
    }

    @Override
    public void destroy() {
        this.readers.shutdownNow();
    }
}
