package io.tally.payment.reconciliation;

import java.security.Principal;
import java.time.LocalDate;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.tally.http.Problems;
import io.tally.payment.reconciliation.Reconciliations.Difference;
import io.tally.payment.reconciliation.Reconciliations.Run;
import io.tally.payment.reconciliation.Reconciliations.Status;

/** Operators' reconciliation endpoints: trigger a run for any day, read runs and differences, resolve one. */
@RestController
@RequestMapping("/api/admin/reconciliations")
class ReconciliationController {

    /** The earliest business day a run may be asked for. */
    static final LocalDate EARLIEST = LocalDate.of(2000, 1, 1);

    private final Reconciliation reconciliation;

    private final java.time.Clock clock;

    ReconciliationController(Reconciliation reconciliation, java.time.Clock clock) {
        this.reconciliation = reconciliation;
        this.clock = clock;
    }

    /** A run with its differences. */
    record RunReport(Run run, List<Difference> differences) {
    }

    @PostMapping
    ResponseEntity<?> run(@Valid @RequestBody RunRequest request, Principal operator) {
        // today and tomorrow in UTC: a channel that cuts its days east of UTC is a day ahead for part of ours
        LocalDate latest = LocalDate.now(this.clock.withZone(java.time.ZoneOffset.UTC)).plusDays(1);
        if (request.date().isBefore(EARLIEST) || request.date().isAfter(latest)) {
            return ResponseEntity.badRequest().body(Problems.of(HttpStatus.BAD_REQUEST, "date-out-of-range",
                    "Date out of range", "A reconciliation is for a business day from " + EARLIEST + " to " + latest
                            + ", not " + request.date()));
        }
        Run run = this.reconciliation.run(request.date(), operator.getName(), false);
        return ResponseEntity.status(HttpStatus.CREATED).body(new RunReport(run, this.reconciliation.differences(run.id())));
    }

    @GetMapping
    List<Run> runs(@RequestParam(defaultValue = "50") int limit) {
        return this.reconciliation.runs(Math.min(Math.max(limit, 1), 500));
    }

    @GetMapping("/{id}")
    ResponseEntity<?> run(@PathVariable long id) {
        Run run = this.reconciliation.runById(id);
        if (run == null) {
            return notFound("No reconciliation run " + id);
        }
        return ResponseEntity.ok(new RunReport(run, this.reconciliation.differences(id)));
    }

    @GetMapping("/differences")
    List<Difference> differences(@RequestParam(defaultValue = "OPEN") Status status,
            @RequestParam(defaultValue = "100") int limit) {
        return this.reconciliation.differences(status, Math.min(Math.max(limit, 1), 1000));
    }

    @PostMapping("/differences/{id}/resolve")
    ResponseEntity<?> resolve(@PathVariable long id, @Valid @RequestBody Resolution resolution, Principal operator) {
        Difference difference = this.reconciliation.difference(id);
        if (difference == null) {
            return notFound("No difference " + id);
        }
        if (!this.reconciliation.resolve(id, resolution.decision(), operator.getName())) {
            ProblemDetail problem = Problems.of(HttpStatus.CONFLICT, "difference-not-open", "Difference not open",
                    "Difference " + id + " is " + difference.status() + "; only open differences are resolved");
            return ResponseEntity.status(HttpStatus.CONFLICT).body(problem);
        }
        return ResponseEntity.ok(this.reconciliation.difference(id));
    }

    private static ResponseEntity<ProblemDetail> notFound(String detail) {
        return ResponseEntity.status(HttpStatus.NOT_FOUND)
            .body(Problems.of(HttpStatus.NOT_FOUND, "not-found", "Not found", detail));
    }

    record RunRequest(@NotNull LocalDate date) {
    }

    record Resolution(@NotBlank @Size(max = 1000) String decision) {
    }
}
