package io.tally.order.orders;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Signals, within this process, that an order changed: what lets a client wait for an order's next state
 * without polling ({@link OrderService#changedFrom}). A change is signalled once its transaction commits, so a
 * waiter that reads the order on the signal sees it. Changes committed by another instance of the service are
 * not signalled here; waiters find those by reading the order again now and then.
 */
@Component
public final class OrderChanges {

    private final Map<String, Set<CompletableFuture<Void>>> waiting = new ConcurrentHashMap<>();

    private final AtomicInteger waiters = new AtomicInteger();

    private final int maxWaiters;

    /** At most {@link OrderProperties#waitMaxWaiters()} waits open at once in this process; more are refused. */
    OrderChanges(OrderProperties properties) {
        this.maxWaiters = properties.waitMaxWaiters();
    }

    /** The order changed in the current transaction (if any): its waiters are signalled once it commits. */
    void changed(String orderNo) {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    signal(orderNo);
                }
            });
        }
        else {
            signal(orderNo);
        }
    }

    private void signal(String orderNo) {
        Set<CompletableFuture<Void>> signalled = this.waiting.remove(orderNo);
        if (signalled != null) {
            signalled.forEach(signal -> signal.complete(null));
        }
    }

    /**
     * A wait for the order's next committed change, or none when too many waits are open; whoever asked for it
     * must {@link #forget} it, signalled or not.
     */
    Optional<Wait> next(String orderNo) {
        if (this.waiters.incrementAndGet() > this.maxWaiters) {
            this.waiters.decrementAndGet();
            return Optional.empty();
        }
        Wait wait = new Wait(orderNo, new CompletableFuture<>(), new AtomicBoolean());
        this.waiting.computeIfAbsent(orderNo, no -> ConcurrentHashMap.newKeySet()).add(wait.signal());
        return Optional.of(wait);
    }

    /** The wait is over, signalled or not; forgetting it again does nothing. */
    void forget(Wait wait) {
        if (wait.over().compareAndSet(false, true)) {
            this.waiters.decrementAndGet();
            this.waiting.computeIfPresent(wait.orderNo(), (no, signals) -> {
                signals.remove(wait.signal());
                return signals.isEmpty() ? null : signals;
            });
        }
    }

    /** One wait: its signal completes when the order's change commits. */
    record Wait(String orderNo, CompletableFuture<Void> signal, AtomicBoolean over) {
    }

    /** How many waits are open (for the gauge and the tests). */
    public int waiters() {
        return this.waiters.get();
    }
}
