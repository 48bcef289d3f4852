package io.tally.deadletter.web;

import java.net.URI;
import java.security.Principal;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.tally.deadletter.DeadLetterFilter;
import io.tally.deadletter.DeadLetterOperations;
import io.tally.deadletter.DeadLetterStatus;

/**
 * The operators' API under {@code /api/admin/dead-letters}: the list (filtered, with {@code X-Total-Count}) and its
 * page with totals, the groups by failure, one dead letter, its replay and discard, the same by filter
 * ({@code POST /replay}, {@code POST /discard}, each with a dry run) and the audit trail ({@code GET /actions/{target}}).
 */
@RestController
@RequestMapping("/api/admin/dead-letters")
public class DeadLetterController {

    static final String PROBLEM_BASE = io.tally.http.Problems.BASE;

    private final DeadLetterOperations operations;

    public DeadLetterController(DeadLetterOperations operations) {
        this.operations = operations;
    }

    /** The dead letters the filter matches, newest first; {@code X-Total-Count} says how many it matches in all. */
    @GetMapping
    public ResponseEntity<List<DeadLetterOperations.View>> list(Query query,
            @RequestParam(defaultValue = "100") int limit, @RequestParam(defaultValue = "0") int offset) {
        DeadLetterOperations.Page page = page(query, limit, offset);
        return ResponseEntity.ok().header("X-Total-Count", Long.toString(page.total())).body(page.items());
    }

    /** The same as a page with its totals: everything matched, of which consumer dead letters and outbox rows. */
    @GetMapping("/page")
    public DeadLetterOperations.Page page(Query query, @RequestParam(defaultValue = "100") int limit,
            @RequestParam(defaultValue = "0") int offset) {
        return this.operations.page(query.filter(), Math.min(Math.max(limit, 1), 1000), Math.max(offset, 0));
    }

    /**
     * The filter of the list and the page, from the query string: every parameter that is set must match.
     *
     * @param source {@code consumer} or {@code outbox}
     * @param status a status
     * @param queue a work queue
     * @param kind PERMANENT, TRANSIENT or POISON
     * @param eventType an event type
     * @param reasonContains text the reason contains
     * @param exceptionContains text the exception contains
     * @param from failed last at or after (ISO-8601)
     * @param to failed last before (ISO-8601)
     */
    public record Query(@Nullable String source, @Nullable DeadLetterStatus status, @Nullable String queue,
            @Nullable String kind, @Nullable String eventType, @Nullable String reasonContains,
            @Nullable String exceptionContains, java.time.@Nullable Instant from, java.time.@Nullable Instant to) {

        DeadLetterFilter filter() {
            return new DeadLetterFilter(this.source, this.status, this.queue, this.kind, this.eventType, this.reasonContains,
                    this.exceptionContains, this.from, this.to);
        }
    }

    /** Consumer dead letters grouped by what failed (queue, kind, exception class, reason), largest group first. */
    @GetMapping("/groups")
    public List<DeadLetterOperations.Group> groups(@RequestParam(required = false) @Nullable DeadLetterStatus status,
            @RequestParam(required = false) @Nullable String queue, @RequestParam(required = false) @Nullable String kind,
            @RequestParam(required = false) @Nullable String eventType,
            @RequestParam(required = false) java.time.@Nullable Instant from,
            @RequestParam(required = false) java.time.@Nullable Instant to) {
        return this.operations.groups(new DeadLetterFilter("consumer", status, queue, kind, eventType, null, null, from, to));
    }

    /** Replays every dead letter the filter matches (PARKED ones unless a status is given); {@code dryRun} counts them. */
    @PostMapping("/replay")
    public DeadLetterOperations.Bulk replayAll(@RequestBody BulkRequest request, Principal operator) {
        return this.operations.replayAll(request.filter(), operator.getName(), request.reason(),
                Boolean.TRUE.equals(request.dryRun()), request.expected());
    }

    /** Discards every dead letter the filter matches, with the reason it requires; {@code dryRun} counts them. */
    @PostMapping("/discard")
    public ResponseEntity<?> discardAll(@RequestBody BulkRequest request, Principal operator) {
        if (request.reason() == null || request.reason().isBlank()) {
            ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                    "A discard needs a reason: {\"reason\": \"...\"}");
            problem.setType(URI.create(PROBLEM_BASE + "reason-required"));
            problem.setTitle("Reason required");
            return ResponseEntity.badRequest().body(problem);
        }
        return ResponseEntity.ok(this.operations.discardAll(request.filter(), operator.getName(), request.reason(),
                Boolean.TRUE.equals(request.dryRun()), request.expected()));
    }

    /** What was done to a dead letter, or by a bulk action ({@code bulk-<id>}), oldest first. */
    @GetMapping("/actions/{target}")
    public List<io.tally.deadletter.DeadLetterAction> actions(@PathVariable String target) {
        return this.operations.actions(target);
    }

    @GetMapping("/{id}")
    public DeadLetterOperations.Detail show(@PathVariable String id) {
        return this.operations.show(id).orElseThrow(() -> new DeadLetterOperations.NotFoundException(id));
    }

    @PostMapping("/{id}/replay")
    public DeadLetterOperations.View replay(@PathVariable String id, @RequestBody(required = false) @Nullable Decision decision,
            Principal operator) {
        return this.operations.replay(id, operator.getName(), decision != null ? decision.reason() : null);
    }

    @PostMapping("/{id}/discard")
    public ResponseEntity<?> discard(@PathVariable String id, @RequestBody(required = false) @Nullable Decision decision,
            Principal operator) {
        if (decision == null || decision.reason() == null || decision.reason().isBlank()) {
            ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                    "A discard needs a reason: {\"reason\": \"...\"}");
            problem.setType(URI.create(PROBLEM_BASE + "reason-required"));
            problem.setTitle("Reason required");
            return ResponseEntity.badRequest().body(problem);
        }
        return ResponseEntity.ok(this.operations.discard(id, operator.getName(), decision.reason()));
    }

    @ExceptionHandler(DeadLetterOperations.NotFoundException.class)
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.NOT_FOUND)
    ResponseEntity<ProblemDetail> notFound(DeadLetterOperations.NotFoundException ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
        problem.setType(URI.create(PROBLEM_BASE + "dead-letter-not-found"));
        problem.setTitle("Dead letter not found");
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body(problem);
    }

    @ExceptionHandler(DeadLetterOperations.CountChangedException.class)
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.CONFLICT)
    ResponseEntity<ProblemDetail> countChanged(DeadLetterOperations.CountChangedException ex) {
        return ResponseEntity.status(HttpStatus.CONFLICT).body(io.tally.http.Problems.of(HttpStatus.CONFLICT,
                "count-changed", "The filter matches another count than the dry run's", ex.getMessage()));
    }

    @ExceptionHandler(IllegalStateException.class)
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.CONFLICT)
    ResponseEntity<ProblemDetail> conflict(IllegalStateException ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, ex.getMessage());
        problem.setType(URI.create(PROBLEM_BASE + "dead-letter-closed"));
        problem.setTitle("Dead letter already closed");
        return ResponseEntity.status(HttpStatus.CONFLICT).body(problem);
    }

    /** An operator's reason. */
    public record Decision(@Nullable String reason) {
    }

    /**
     * A bulk action: which dead letters (the filter's fields), why, whether only to count them, and the count a
     * dry run gave (nothing is done if the filter matches another number now).
     */
    public record BulkRequest(@Nullable String source, @Nullable DeadLetterStatus status, @Nullable String queue,
            @Nullable String kind, @Nullable String eventType, @Nullable String reasonContains,
            @Nullable String exceptionContains, java.time.@Nullable Instant from, java.time.@Nullable Instant to,
            @Nullable String reason, @Nullable Boolean dryRun, @Nullable Long expected) {

        DeadLetterFilter filter() {
            return new DeadLetterFilter(this.source, this.status, this.queue, this.kind, this.eventType,
                    this.reasonContains, this.exceptionContains, this.from, this.to);
        }
    }
}
