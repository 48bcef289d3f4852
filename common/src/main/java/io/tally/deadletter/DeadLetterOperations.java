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

    /** The most dead letters one bulk action takes; an operator repeats it for more. */
    public static final int MAX_BULK = 10_000;

    /**
     * One page of what the filter matches, newest first, with the total it matches (consumer dead letters first,
     * then DEAD outbox rows).
     */
    public Page page(DeadLetterFilter filter, int limit, int offset) {
        long consumers = filter.consumers() ? this.store.count(filter) : 0;
        long rows = filter.outboxRows() ? this.outbox.count(filter.outboxFilter()) : 0;
        List<View> items = new ArrayList<>();
        if (offset < consumers) {
            this.store.list(filter, limit, offset).forEach(d -> items.add(view(d)));
        }
        if (items.size() < limit && filter.outboxRows()) {
            int rowOffset = (int) Math.max(0, offset - consumers);
            this.outbox.list(filter.outboxFilter(), limit - items.size(), rowOffset).forEach(r -> items.add(view(r)));
        }
        return new Page(consumers + rows, consumers, rows, limit, offset, items);
    }

    /** The consumer dead letters the filter matches, grouped by what failed: queue, kind, exception class, reason (its identifiers masked). */
    public List<Group> groups(DeadLetterFilter filter) {
        return this.store.groups(filter, 200).stream().map(g -> new Group(g.queue(), g.failureKind(), g.exceptionClass(),
                g.reasonPattern(), g.count(), g.exampleReason(), g.firstFailedAt(), g.lastFailedAt())).toList();
    }

    /**
     * Replays, or with {@code dryRun} counts, every dead letter the filter matches (at most {@link #MAX_BULK}), each
     * as {@link #replay} does and audited on its own, and the whole audited once with who and how many.
     * @param expected the count a dry run gave, or {@code null}: when the filter matches another number now, nothing
     * is done
     * @throws CountChangedException when {@code expected} does not match
     */
    public Bulk replayAll(DeadLetterFilter filter, String actor, @Nullable String reason, boolean dryRun,
            @Nullable Long expected) {
        return bulk("REPLAY", filter, actor, reason, dryRun, expected, (id, why) -> replay(id, actor, why));
    }

    /** As {@link #replayAll}, discarding; a reason is required. */
    public Bulk discardAll(DeadLetterFilter filter, String actor, String reason, boolean dryRun, @Nullable Long expected) {
        return bulk("DISCARD", filter, actor, reason, dryRun, expected, (id, why) -> discard(id, actor, why));
    }

    private Bulk bulk(String action, DeadLetterFilter filter, String actor, @Nullable String reason, boolean dryRun,
            @Nullable Long expected, java.util.function.BiFunction<String, String, View> each) {
        Page matching = page(filter.status() != null ? filter : openOnes(filter), MAX_BULK, 0);
        if (expected != null && expected != matching.total()) {
            throw new CountChangedException("The filter matches " + matching.total() + " dead letters now, not the "
                    + expected + " the dry run counted: nothing was done");
        }
        List<String> ids = matching.items().stream().map(View::id).toList();
        long beyond = matching.total() - ids.size();
        if (dryRun) {
            return new Bulk(action, true, matching.total(), 0, beyond, ids.subList(0, Math.min(20, ids.size())), List.of(),
                    null);
        }
        String bulkId = "bulk-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        String itemReason = "[" + bulkId + "]" + (reason != null ? " " + reason : "");
        int done = 0;
        List<String> failed = new ArrayList<>();
        for (String id : ids) {
            try {
                each.apply(id, itemReason);
                done++;
            }
            catch (RuntimeException ex) {
                failed.add(id + ": " + ex.getMessage());
            }
        }
        int succeeded = done;
        this.transaction.executeWithoutResult(status -> this.store.action(bulkId, "BULK_" + action, actor,
                succeeded + " of " + ids.size() + " matching " + filter + (beyond > 0 ? " (" + beyond + " more left)" : "")
                        + (reason != null ? ": " + reason : ""),
                this.clock.instant()));
        return new Bulk(action, false, matching.total(), succeeded, beyond, List.of(),
                List.copyOf(failed.subList(0, Math.min(20, failed.size()))), bulkId);
    }

    /**
     * Without a status, a bulk action means the dead letters waiting for an operator: PARKED ones (DEAD outbox rows
     * among them). SCHEDULED ones, still re-driven on their own, are taken only when asked for by status.
     */
    private static DeadLetterFilter openOnes(DeadLetterFilter filter) {
        return new DeadLetterFilter(filter.source(), DeadLetterStatus.PARKED, filter.queue(), filter.failureKind(),
                filter.eventType(), filter.reason(), filter.exception(), filter.from(), filter.to());
    }

    /** A bulk action refused because its filter no longer matches the count its dry run gave. */
    public static final class CountChangedException extends IllegalStateException {

        CountChangedException(String message) {
            super(message);
        }
    }

    /**
     * A page of dead letters.
     *
     * @param total everything the filter matches
     * @param consumer of which consumer dead letters
     * @param outbox of which DEAD (or DISCARDED) outbox rows
     * @param limit the page's size
     * @param offset where it starts
     * @param items the page
     */
    public record Page(long total, long consumer, long outbox, int limit, int offset, List<View> items) {
    }

    /**
     * Dead letters that failed alike.
     *
     * @param queue the work queue they failed on
     * @param failureKind PERMANENT, TRANSIENT or POISON
     * @param exceptionClass the class of the exception they failed with (empty when none was recorded)
     * @param reasonPattern their reason, each word holding a digit (an identifier) shown as {@code #}
     * @param count how many
     * @param exampleReason the reason of one of them, as recorded
     * @param firstFailedAt when the first of them first failed
     * @param lastFailedAt when the last of them last failed
     */
    public record Group(String queue, String failureKind, String exceptionClass, String reasonPattern, long count,
            String exampleReason, Instant firstFailedAt, Instant lastFailedAt) {
    }

    /**
     * What a bulk action did.
     *
     * @param action REPLAY or DISCARD
     * @param dryRun whether it only counted
     * @param matched how many dead letters it matched
     * @param done how many it replayed or discarded
     * @param beyond how many it matched past the {@link #MAX_BULK} one action takes (repeat it for those)
     * @param sample the first ids matched (dry run)
     * @param failed the first that failed, with why
     * @param bulkId the id its audit entry is recorded under ({@code GET .../actions} of it), or {@code null}
     */
    public record Bulk(String action, boolean dryRun, long matched, int done, long beyond, List<String> sample,
            List<String> failed, @Nullable String bulkId) {
    }

    /** What was done to a dead letter or by a bulk action, oldest first. */
    public List<DeadLetterAction> actions(String target) {
        return this.store.actions(target);
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
