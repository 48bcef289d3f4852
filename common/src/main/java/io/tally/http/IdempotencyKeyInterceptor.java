package io.tally.http;

import java.net.URI;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Refuses with 400 a request to a method annotated {@link IdempotencyKeyRequired} that carries no
 * {@code Idempotency-Key}.
 */
final class IdempotencyKeyInterceptor implements HandlerInterceptor {

    private final JsonMapper json;

    IdempotencyKeyInterceptor(JsonMapper json) {
        this.json = json;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) throws Exception {
        if (handler instanceof HandlerMethod method && method.hasMethodAnnotation(IdempotencyKeyRequired.class)
                && (request.getHeader(IdempotencyFilter.HEADER) == null
                        || request.getHeader(IdempotencyFilter.HEADER).isBlank())) {
            ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                    "This request creates something: send an Idempotency-Key header (for example a UUID) so that "
                            + "it can be retried safely");
            problem.setType(URI.create(IdempotencyFilter.PROBLEM_BASE + "idempotency-key-required"));
            problem.setTitle("Idempotency-Key required");
            response.setStatus(400);
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.getOutputStream().write(this.json.writeValueAsBytes(problem));
            return false;
        }
        return true;
    }
}
