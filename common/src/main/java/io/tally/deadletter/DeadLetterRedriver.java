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
 * Re-drives SCHEDULED dead letters when they are due. The due rows are claimed ({@code SKIP LOCKED}, so several
 * instances share the work, then moved a minute ahead), sent outside any transaction, and marked REDRIVEN after
 * their confirm: a crash before the mark sends one again after the claim, which the dedup table absorbs.
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
            .description("Stored dead letters by status, each counted up to 10,000")
            .register(registry));
    }

    void refreshCounts() {
        java.util.Map<String, Long> now = this.store.countByStatus();
        this.counts.forEach((status, value) -> value.set(now.getOrDefault(status.name(), 0L)));
    }

    /**
     * Re-drives what is due now; answers how many were sent. The due rows are claimed in a short transaction,
     * sent after it (no lock is held while the broker confirms), and each is then marked REDRIVEN, or, when the
     * re-drive failed, counted and scheduled again on the re-drive delays (parked after the last one), so that
     * failing re-drives never keep the others from their turn.
     */
    int redriveDue() {
        Instant now = this.clock.instant();
        List<DeadLetter> due = this.transaction.execute(status -> this.store.claimDue(now, now.plus(CLAIM), 50));
        int sent = 0;
        for (DeadLetter letter : due == null ? List.<DeadLetter>of() : due) {
            int redrive = letter.redriveCount() + 1;
            try {
                this.rerouter.redeliver(letter.sourceQueue(), this.messages.rebuild(letter, redrive));
            }
            catch (AmqpException ex) {
                boolean last = redrive >= this.properties.maxRedrives();
                Instant next = last ? null : this.clock.instant().plus(this.properties.redriveDelay(redrive + 1));
                String first = letter.reason().contains(FAILED) ? letter.reason().substring(0, letter.reason().indexOf(FAILED))
                        : letter.reason();
                String reason = first + FAILED + "(" + redrive + ") failed: " + ex.getMessage();
                this.transaction.executeWithoutResult(s -> {
                    this.store.redriveFailed(letter.id(), reason, next, this.clock.instant());
                    this.store.action("dl-" + letter.id(), "REDRIVE_FAILED", "compensation-consumer",
                            reason + (last ? "; parked" : "; next at " + next), this.clock.instant());
                });
                log.warn("Could not re-drive dead letter {} to {} ({}); {}", letter.id(), letter.sourceQueue(),
                        ex.getMessage(), last ? "parked" : "next try at " + next);
                continue;
            }
            this.transaction.executeWithoutResult(s -> {
                this.store.mark(letter.id(), DeadLetterStatus.SCHEDULED, DeadLetterStatus.REDRIVEN, true, this.clock.instant());
                this.store.action("dl-" + letter.id(), "REDRIVE", "compensation-consumer",
                        "re-drive " + redrive + " of at most " + this.properties.maxRedrives(), this.clock.instant());
            });
            sent++;
        }
        return sent;
    }

    /** What a failed re-drive adds to the dead letter's reason (the last one replaces the one before). */
    private static final String FAILED = "; last re-drive ";

    /** How long a claimed re-drive stays out of other instances' way (a crash before the mark re-drives it again). */
    private static final java.time.Duration CLAIM = java.time.Duration.ofMinutes(1);
}
