package io.tally.deadletter;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import org.springframework.transaction.support.TransactionTemplate;

import io.tally.outbox.OutboxDeadRows;
import io.tally.retry.Rerouter;

/**
 * What an operator can do with dead letters: list and filter, show, replay, discard. Consumer dead letters
 * have ids {@code dl-<n>}; DEAD outbox rows show in the same view with ids {@code ob-<n>}. Every action is
 * recorded with who did it, when and why.
 */
public final class DeadLetterOperations {

    private final DeadLetterStore store;

    private final OutboxDeadRows outbox;

    private final Rerouter rerouter;

    private final DeadLetterMessages messages;

    private final TransactionTemplate transaction;

    private final Clock clock;

    DeadLetterOperations(DeadLetterStore store, OutboxDeadRows outbox, Rerouter rerouter, DeadLetterMessages messages,
            TransactionTemplate transaction, Clock clock) {
        this.store = store;
        this.outbox = outbox;
        this.rerouter = rerouter;
        this.messages = messages;
        this.transaction = transaction;
        this.clock = clock;
    }

    /**
     * Lists dead letters, newest first.
     * @param source {@code consumer}, {@code outbox} or {@code null} for both
     * @param status a status to keep, or {@code null} for all
     * @param queue a work queue to keep, or {@code null} for all (consumer dead letters only)
     */
    public List<View> list(@Nullable String source, @Nullable DeadLetterStatus status, @Nullable String queue,
            int limit, int offset) {
        List<View> views = new ArrayList<>();
        if (source == null || source.equals("consumer")) {
            this.store.list(status, queue, limit, offset).forEach(d -> views.add(view(d)));
        }
        if ((source == null || source.equals("outbox")) && queue == null
                && (status == null || status == DeadLetterStatus.PARKED || status == DeadLetterStatus.DISCARDED)) {
            boolean discarded = status == DeadLetterStatus.DISCARDED;
            this.outbox.list(discarded, limit, offset).forEach(r -> views.add(view(r)));
            if (status == null) {
                this.outbox.list(true, limit, offset).forEach(r -> views.add(view(r)));
            }
        }
        return views;
    }

    /** One dead letter with its body, headers, exception and actions. */
    public Optional<Detail> show(String id) {
        Target target = Target.parse(id);
        if (target.outbox()) {
            return this.outbox.find(target.number())
                .filter(r -> r.status().equals("DEAD") || r.status().equals("DISCARDED"))
                .map(r -> new Detail(view(r), text(r.payload()), r.headers(), null, r.lastError(),
                        this.store.actions(id)));
        }
        return this.store.find(target.number())
            .map(d -> new Detail(view(d), text(d.body()), d.headers(), d.properties(), d.exception(),
                    this.store.actions(id)));
    }

    /**
     * Sends a dead letter back to its queue (or a DEAD outbox row back to the relay) with its message id.
     * @throws NotFoundException when there is no such dead letter
     * @throws IllegalStateException when it was already replayed or discarded
     */
    public View replay(String id, String actor, @Nullable String reason) {
        Target target = Target.parse(id);
        if (target.outbox()) {
            return this.transaction.execute(status -> {
                if (!this.outbox.replay(target.number())) {
                    throw conflictOrMissing(id, this.outbox.find(target.number()).isPresent());
                }
                this.store.action(id, "REPLAY", actor, reason, this.clock.instant());
                return view(this.outbox.find(target.number()).orElseThrow());
            });
        }
        // the decision and its audit commit first; only then is the message sent, so that every replay that
        // reached the broker is in the trail, whatever fails after it
        DeadLetter letter = this.transaction.execute(status -> {
            DeadLetter locked = this.store.lock(target.number()).orElseThrow(() -> new NotFoundException(id));
            if (locked.status() == DeadLetterStatus.REPLAYED || locked.status() == DeadLetterStatus.DISCARDED) {
                throw new IllegalStateException(id + " is already " + locked.status());
            }
            Instant now = this.clock.instant();
            this.store.mark(locked.id(), locked.status(), DeadLetterStatus.REPLAYED, true, now);
            this.store.action(id, "REPLAY", actor, reason, now);
            return locked;
        });
        try {
            this.rerouter.redeliver(letter.sourceQueue(), this.messages.rebuild(letter, letter.redriveCount() + 1));
        }
        catch (RuntimeException ex) {
            this.transaction.executeWithoutResult(status -> {
                this.store.mark(letter.id(), DeadLetterStatus.REPLAYED, letter.status(), false, this.clock.instant());
                this.store.action(id, "REPLAY_FAILED", actor, "not sent: " + ex.getMessage(), this.clock.instant());
            });
            throw ex;
        }
        return view(this.store.find(letter.id()).orElseThrow());
    }

    /**
     * Closes a dead letter without sending it.
     * @throws NotFoundException when there is no such dead letter
     * @throws IllegalStateException when it was already replayed or discarded
     */
    public View discard(String id, String actor, String reason) {
        Target target = Target.parse(id);
        return this.transaction.execute(status -> {
            Instant now = this.clock.instant();
            if (target.outbox()) {
                if (!this.outbox.discard(target.number())) {
                    throw conflictOrMissing(id, this.outbox.find(target.number()).isPresent());
                }
                this.store.action(id, "DISCARD", actor, reason, now);
                return view(this.outbox.find(target.number()).orElseThrow());
            }
            DeadLetter letter = this.store.lock(target.number()).orElseThrow(() -> new NotFoundException(id));
            if (letter.status() == DeadLetterStatus.REPLAYED || letter.status() == DeadLetterStatus.DISCARDED) {
                throw new IllegalStateException(id + " is already " + letter.status());
            }
            this.store.mark(letter.id(), letter.status(), DeadLetterStatus.DISCARDED, false, now);
            this.store.action(id, "DISCARD", actor, reason, now);
            return view(this.store.find(letter.id()).orElseThrow());
        });
    }

    private static RuntimeException conflictOrMissing(String id, boolean exists) {
        return exists ? new IllegalStateException(id + " is not DEAD") : new NotFoundException(id);
    }

    private static View view(DeadLetter d) {
        return new View("dl-" + d.id(), "consumer", d.messageId(), d.sourceQueue(), d.originalExchange(),
                d.originalRoutingKey(), d.eventType(), d.status().name(), d.reason(), d.failureKind(), d.attempts(),
                d.failures(), d.redriveCount(), d.firstFailedAt(), d.lastFailedAt(), d.nextRedriveAt());
    }

    private static View view(OutboxDeadRows.DeadRow r) {
        String status = switch (r.status()) {
            case "DEAD" -> DeadLetterStatus.PARKED.name();
            case "DISCARDED" -> DeadLetterStatus.DISCARDED.name();
            default -> DeadLetterStatus.REPLAYED.name();
        };
        return new View("ob-" + r.id(), "outbox", r.messageId(), null, r.exchange(), r.routingKey(), r.eventType(),
                status, r.lastError() != null ? "publication failed: " + r.lastError() : "publication failed",
                "TRANSIENT", r.attempts(), r.attempts(), 0, r.createdAt(), r.lastAttemptAt(), null);
    }

    private static String text(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body)).toString();
        }
        catch (CharacterCodingException ex) {
            return "base64:" + Base64.getEncoder().encodeToString(body);
        }
    }

    /** No dead letter has that id. */
    public static final class NotFoundException extends RuntimeException {

        public NotFoundException(String id) {
            super("No dead letter " + id);
        }
    }

    record Target(boolean outbox, long number) {

        static Target parse(String id) {
            try {
                if (id.startsWith("dl-")) {
                    return new Target(false, Long.parseLong(id.substring(3)));
                }
                if (id.startsWith("ob-")) {
                    return new Target(true, Long.parseLong(id.substring(3)));
                }
            }
            catch (NumberFormatException ex) {
                // falls through
            }
            throw new NotFoundException(id);
        }
    }

    /**
     * A dead letter as listed.
     *
     * @param id {@code dl-<n>} or {@code ob-<n>}
     * @param source {@code consumer} or {@code outbox}
     * @param messageId the message id
     * @param queue the work queue it failed on (consumer dead letters)
     * @param exchange the exchange it was published to
     * @param routingKey its routing key
     * @param eventType the event type
     * @param status SCHEDULED, REDRIVEN, PARKED, REPLAYED or DISCARDED
     * @param reason why it is here
     * @param failureKind PERMANENT, TRANSIENT or POISON
     * @param attempts deliveries (or publications) before it got here
     * @param failures how often it got here
     * @param redriveCount re-drives so far
     * @param firstFailedAt first failure
     * @param lastFailedAt last failure
     * @param nextRedriveAt next automatic re-drive, if scheduled
     */
    public record View(String id, String source, String messageId, @Nullable String queue, @Nullable String exchange,
            @Nullable String routingKey, @Nullable String eventType, String status, String reason, String failureKind,
            int attempts, int failures, int redriveCount, Instant firstFailedAt, @Nullable Instant lastFailedAt,
            @Nullable Instant nextRedriveAt) {
    }

    /**
     * A dead letter in full.
     *
     * @param summary what the list shows
     * @param body the body, as text when it is UTF-8, else {@code base64:...}
     * @param headers the headers as JSON
     * @param properties the message properties as JSON
     * @param exception the last exception
     * @param actions what was done to it, oldest first
     */
    public record Detail(View summary, String body, @Nullable String headers, @Nullable String properties,
            @Nullable String exception, List<DeadLetterAction> actions) {
    }
}
