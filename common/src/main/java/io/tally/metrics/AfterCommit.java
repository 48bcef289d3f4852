package io.tally.metrics;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** Work that must only count what was committed: a counter of transitions, say. */
public final class AfterCommit {

    private AfterCommit() {
    }

    /** Runs {@code work} once the current transaction commits (never if it rolls back), or now without one. */
    public static void run(Runnable work) {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    work.run();
                }
            });
        }
        else {
            work.run();
        }
    }
}
