package io.tally.http;

import java.net.URI;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/** RFC 9457 problem details with a stable {@code type} under one base URI. */
public final class Problems {

    /** The base of every problem type. */
    public static final String BASE = "https://tally.example/problems/";

    private Problems() {
    }

    /**
     * A problem.
     * @param type the last segment of the type URI, stable across releases (for example {@code unknown-order})
     */
    public static ProblemDetail of(HttpStatus status, String type, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(BASE + type));
        problem.setTitle(title);
        return problem;
    }
}
