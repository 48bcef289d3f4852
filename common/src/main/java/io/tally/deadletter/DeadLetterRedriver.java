package io.tally.deadletter;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.AmqpException;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.retry.Rerouter;

/**
 * Re-drives SCHEDULED dead letters when they are due. The due rows are locked ({@code SKIP LOCKED}, so
 * several instances share the work) while they are sent and confirmed, and marked REDRIVEN in the same
 * transaction: a crash before the commit sends one again, which the dedup table absorbs. Re-drives are few,
 * so holding these row locks for one confirm is cheap, unlike on the outbox.
 */
final class DeadLetterRedriver {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterRedriver.class);

    private final DeadLetterStore store;

    private final TransactionTemplate transaction;

    private final Rerouter rerouter;

    private final DeadLetterMessages messages;

    private final DeadLetterProperties properties;

    private final Clock clock;


    private final java.util.Map<DeadLetterStatus, java.util.concurrent.atomic.AtomicLong> counts = new java.util.EnumMap<>(
            DeadLetterStatus.class);

    DeadLetterRedriver(DeadLetterStore store, TransactionTemplate transaction, Rerouter rerouter,
            DeadLetterMessages messages, DeadLetterProperties properties, Clock clock) {
        this.store = store;
        this.transaction = transaction;
        this.rerouter = rerouter;
        this.messages = messages;
        this.properties = properties;
        this.clock = clock;
        for (DeadLetterStatus status : DeadLetterStatus.values()) {
            this.counts.put(status, new java.util.concurrent.atomic.AtomicLong());
        }
    }

    /** Registers {@code tally.dead.letters{status}}, refreshed on every poll. */
    void bindTo(io.micrometer.core.instrument.MeterRegistry registry) {
        this.counts.forEach((status, value) -> io.micrometer.core.instrument.Gauge
            .builder("tally.dead.letters", value, java.util.concurrent.atomic.AtomicLong::get)
            .tag("status", status.name())
            .description("Stored dead letters by status")
            .register(registry));
    }

    void refreshCounts() {
        java.util.Map<String, Long> now = this.store.countByStatus();
        this.counts.forEach((status, value) -> value.set(now.getOrDefault(status.name(), 0L)));
    }

    /** Re-drives what is due now; answers how many were sent. */
    int redriveDue() {
        Integer sent = this.transaction.execute(status -> {
            Instant now = this.clock.instant();
            List<DeadLetter> due = this.store.lockDue(now, 50);
            int count = 0;
            for (DeadLetter letter : due) {
                try {
                    this.rerouter.redeliver(letter.sourceQueue(), this.messages.rebuild(letter, letter.redriveCount() + 1));
                    this.store.mark(letter.id(), DeadLetterStatus.SCHEDULED, DeadLetterStatus.REDRIVEN, true, now);
                    this.store.action("dl-" + letter.id(), "REDRIVE", "compensation-consumer",
                            "re-drive " + (letter.redriveCount() + 1) + " of at most " + this.properties.maxRedrives(), now);
                    count++;
                }
                catch (AmqpException ex) {
                    log.warn("Could not re-drive dead letter {} to {}; it stays scheduled: {}", letter.id(),
                            letter.sourceQueue(), ex.getMessage());
                }
            }
            return count;
        });
        return sent != null ? sent : 0;
    }
}
