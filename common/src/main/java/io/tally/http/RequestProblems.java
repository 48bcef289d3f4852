package io.tally.http;

import java.net.URI;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.FieldError;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Problem details for requests that cannot be taken as sent, each with a stable type a client can act on:
 * {@code malformed-request} (not JSON, a wrong type, a fraction for an integer, a number out of its type's range,
 * a string for a number) and {@code invalid-request} (a value out of its bounds, a null in a list, an identifier
 * longer than its column), the latter listing every field at fault under {@code errors}. Everything else keeps
 * Spring's own problem details.
 */
@RestControllerAdvice
public class RequestProblems extends ResponseEntityExceptionHandler {

    @Override
    protected @Nullable ResponseEntity<Object> handleExceptionInternal(Exception ex, @Nullable Object body,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        ResponseEntity<Object> response = super.handleExceptionInternal(ex, body, headers, status, request);
        if (response != null && response.getBody() instanceof ProblemDetail problem) {
            if (ex instanceof HttpMessageNotReadableException unreadable) {
                problem.setType(URI.create(Problems.BASE + "malformed-request"));
                problem.setTitle("Malformed request");
                problem.setDetail("The body cannot be read as this endpoint's JSON: " + reason(unreadable));
            }
            else if (ex instanceof MethodArgumentNotValidException invalid) {
                problem.setType(URI.create(Problems.BASE + "invalid-request"));
                problem.setTitle("Invalid request");
                List<String> errors = invalid.getBindingResult().getFieldErrors().stream()
                    .map(RequestProblems::describe).toList();
                problem.setDetail(String.join("; ", errors));
                problem.setProperty("errors", errors);
            }
            else if (ex instanceof HandlerMethodValidationException invalid) {
                problem.setType(URI.create(Problems.BASE + "invalid-request"));
                problem.setTitle("Invalid request");
                List<String> errors = invalid.getParameterValidationResults().stream()
                    .flatMap(result -> result.getResolvableErrors().stream()
                        .map(error -> result.getMethodParameter().getParameterName() + " " + error.getDefaultMessage()))
                    .toList();
                problem.setDetail(String.join("; ", errors));
                problem.setProperty("errors", errors);
            }
        }
        return response;
    }

    private static String describe(FieldError error) {
        return error.getField() + " " + error.getDefaultMessage();
    }

    /** What Jackson could not read, without echoing the body back. */
    private static String reason(HttpMessageNotReadableException ex) {
        Throwable cause = ex.getMostSpecificCause();
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        int end = message.indexOf('\n');
        message = end > 0 ? message.substring(0, end) : message;
        return message.length() > 300 ? message.substring(0, 300) + "..." : message;
    }
}
