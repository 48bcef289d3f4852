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
 * without polling ({@link OrderWaits#changedFrom}). A change is signalled once its transaction commits, so a
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
     * A wait for the order's next committed change, armed; or none when too many waits are open. Whoever asked
     * for it must {@link #forget} it.
     */
    Optional<Wait> next(String orderNo) {
        if (this.waiters.incrementAndGet() > this.maxWaiters) {
            this.waiters.decrementAndGet();
            return Optional.empty();
        }
        Wait wait = new Wait(orderNo);
        arm(wait);
        return Optional.of(wait);
    }

    /**
     * Arms the wait afresh for the order's next committed change (after a recheck found none). Arm first, read
     * the order second: a change that commits between the two is seen by one or the other.
     */
    void rearm(Wait wait) {
        disarm(wait);
        arm(wait);
    }

    private void arm(Wait wait) {
        CompletableFuture<Void> signal = new CompletableFuture<>();
        wait.signal = signal;
        // added inside the map's atomic step, so that no concurrent removal of an emptied set can lose it
        this.waiting.compute(wait.orderNo, (no, signals) -> {
            Set<CompletableFuture<Void>> armed = signals != null ? signals : ConcurrentHashMap.newKeySet();
            armed.add(signal);
            return armed;
        });
    }

    private void disarm(Wait wait) {
        CompletableFuture<Void> signal = wait.signal;
        this.waiting.computeIfPresent(wait.orderNo, (no, signals) -> {
            signals.remove(signal);
            return signals.isEmpty() ? null : signals;
        });
    }

    /** The wait is over, signalled or not; forgetting it again does nothing. */
    void forget(Wait wait) {
        if (wait.over.compareAndSet(false, true)) {
            this.waiters.decrementAndGet();
            disarm(wait);
        }
    }

    /** One request's wait: its signal completes when a change of the order commits. */
    static final class Wait {

        private final String orderNo;

        private final AtomicBoolean over = new AtomicBoolean();

        private volatile CompletableFuture<Void> signal = new CompletableFuture<>();

        Wait(String orderNo) {
            this.orderNo = orderNo;
        }

        CompletableFuture<Void> signal() {
            return this.signal;
        }
    }

    /** How many waits are open (the gauge {@code tally.order.waits.open}, and the tests). */
    public int waiters() {
        return this.waiters.get();
    }
}
