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

import io.tally.deadletter.DeadLetterOperations;
import io.tally.deadletter.DeadLetterStatus;

/**
 * {@code GET /api/admin/dead-letters}, {@code GET /api/admin/dead-letters/{id}},
 * {@code POST /api/admin/dead-letters/{id}/replay} and {@code POST /api/admin/dead-letters/{id}/discard}.
 */
@RestController
@RequestMapping("/api/admin/dead-letters")
public class DeadLetterController {

    static final String PROBLEM_BASE = "https://tally.example/problems/";

    private final DeadLetterOperations operations;

    public DeadLetterController(DeadLetterOperations operations) {
        this.operations = operations;
    }

    @GetMapping
    public List<DeadLetterOperations.View> list(@RequestParam(required = false) @Nullable String source,
            @RequestParam(required = false) @Nullable DeadLetterStatus status,
            @RequestParam(required = false) @Nullable String queue, @RequestParam(defaultValue = "100") int limit,
            @RequestParam(defaultValue = "0") int offset) {
        return this.operations.list(source, status, queue, Math.min(Math.max(limit, 1), 1000), Math.max(offset, 0));
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
    ResponseEntity<ProblemDetail> notFound(DeadLetterOperations.NotFoundException ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
        problem.setType(URI.create(PROBLEM_BASE + "dead-letter-not-found"));
        problem.setTitle("Dead letter not found");
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body(problem);
    }

    @ExceptionHandler(IllegalStateException.class)
    ResponseEntity<ProblemDetail> conflict(IllegalStateException ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, ex.getMessage());
        problem.setType(URI.create(PROBLEM_BASE + "dead-letter-closed"));
        problem.setTitle("Dead letter already closed");
        return ResponseEntity.status(HttpStatus.CONFLICT).body(problem);
    }

    /** An operator's reason. */
    public record Decision(@Nullable String reason) {
    }
}
