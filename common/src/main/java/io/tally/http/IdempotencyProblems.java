package io.tally.http;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Answers {@link IdempotencyKeyReusedException} wherever a controller lets it through. */
@RestControllerAdvice
final class IdempotencyProblems {

    @ExceptionHandler
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.UNPROCESSABLE_CONTENT)
    ProblemDetail reused(IdempotencyKeyReusedException ex) {
        return Problems.of(HttpStatus.UNPROCESSABLE_CONTENT, "idempotency-key-reused", "Idempotency-Key reused",
                ex.getMessage());
    }
}
