package io.tally.http;

import java.io.ByteArrayInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * Makes {@code POST} requests with an {@code Idempotency-Key} header idempotent. The key is claimed before the
 * request runs (in its own transaction), and the response is stored when it completes: status, content type,
 * {@code Location} and body, whatever the status (as Stripe does, errors included), except 502, 503 and 504,
 * which release the key (the request took no effect; see {@link #tookNoEffect}). A repetition with the same
 * method, path and body gets the stored response with {@code Idempotent-Replayed: true}; with anything
 * different, 422; while the first still runs, 409. If the request ends in an exception that no handler turned
 * into a response, the key is released, so the client may retry.
 */
public final class IdempotencyFilter extends OncePerRequestFilter {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(IdempotencyFilter.class);

    /** The request header. */
    public static final String HEADER = "Idempotency-Key";

    /** Set on a replayed response. */
    public static final String REPLAYED = "Idempotent-Replayed";

    static final String PROBLEM_BASE = Problems.BASE;

    private final IdempotentRequests requests;

    private final IdempotencyProperties properties;

    private final Clock clock;

    private final JsonMapper json;

    IdempotencyFilter(IdempotentRequests requests, IdempotencyProperties properties, Clock clock, JsonMapper json) {
        this.requests = requests;
        this.properties = properties;
        this.clock = clock;
        this.json = json;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod()) || request.getHeader(HEADER) == null;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String key = request.getHeader(HEADER).trim();
        if (key.isEmpty() || key.length() > 255) {
            problem(response, HttpStatus.BAD_REQUEST, "invalid-idempotency-key", "Invalid Idempotency-Key",
                    "The Idempotency-Key header must hold 1 to 255 characters");
            return;
        }
        long limit = this.properties.maxBodySize().toBytes();
        if (request.getContentLengthLong() > limit) {
            tooLarge(response, limit);
            return;
        }
        CachedBodyRequest cached = CachedBodyRequest.read(request, limit);
        if (cached == null) {
            tooLarge(response, limit);
            return;
        }
        String hash = hash(request, cached.body);
        Instant now = this.clock.instant();
        IdempotentRequests.Begin begin = this.requests.begin(key, hash, now, now.plus(this.properties.inFlightTimeout()),
                now.plus(this.properties.retention()));
        switch (begin.outcome()) {
            case MISMATCH -> {
                problem(response, HttpStatus.UNPROCESSABLE_CONTENT, "idempotency-key-reused", "Idempotency-Key reused",
                        "This Idempotency-Key was used with another request; use a new key for a new request");
                return;
            }
            case IN_FLIGHT -> {
                problem(response, HttpStatus.CONFLICT, "idempotent-request-in-flight", "Request in flight",
                        "The first request with this Idempotency-Key is still running; retry later");
                return;
            }
            case COMPLETED -> {
                replay(response, begin.stored());
                return;
            }
            case STARTED -> {
                // run it below
            }
        }
        String token = begin.token();
        ContentCachingResponseWrapper wrapper = new ContentCachingResponseWrapper(response);
        cached.setAttribute(IdempotentRequest.ATTRIBUTE, new IdempotentRequest(key, hash));
        try {
            chain.doFilter(cached, wrapper);
        }
        catch (IOException | ServletException | RuntimeException ex) {
            this.requests.release(key, token);
            throw ex;
        }
        if (tookNoEffect(wrapper.getStatus())) {
            this.requests.release(key, token);
        }
        else {
            store(key, token, wrapper);
        }
        wrapper.copyBodyToResponse();
    }

    /**
     * 502, 503 and 504 say that the request took no effect because something it needed was unavailable: the key
     * is released rather than stored with them, so that the same request with the same key runs again later
     * (a stored 503 would answer every retry with the outage).
     */
    static boolean tookNoEffect(int status) {
        return status == 502 || status == 503 || status == 504;
    }

    /**
     * Stores the response under the request's claim. The work is done (and committed) by now: a failure to store
     * its answer never turns it into an error for the client; a repetition then runs again after the in-flight
     * timeout, and a service that keeps the key with its effect ({@link IdempotentRequest}) answers that effect.
     */
    private void store(String key, String token, ContentCachingResponseWrapper wrapper) {
        for (int attempt = 1; ; attempt++) {
            try {
                if (!this.requests.complete(key, token, wrapper.getStatus(), wrapper.getContentType(),
                        wrapper.getHeader(HttpHeaders.LOCATION), wrapper.getContentAsByteArray())) {
                    log.warn("The request with Idempotency-Key {} ran past its in-flight timeout and was taken over: "
                            + "its response is not stored (its successor's is)", key);
                }
                return;
            }
            catch (RuntimeException ex) {
                if (attempt == 3) {
                    log.error("ALERT the response of the request with Idempotency-Key {} could not be stored ({}); a "
                            + "repetition runs again after the in-flight timeout", key, ex.toString());
                    return;
                }
            }
        }
    }

    private void tooLarge(HttpServletResponse response, long limit) throws IOException {
        problem(response, HttpStatus.CONTENT_TOO_LARGE, "request-too-large", "Request too large",
                "The request body is larger than " + limit + " bytes");
    }

    private void replay(HttpServletResponse response, IdempotentRequests.Stored stored) throws IOException {
        response.setStatus(stored.responseStatus() != null ? stored.responseStatus() : 200);
        if (stored.contentType() != null) {
            response.setContentType(stored.contentType());
        }
        if (stored.location() != null) {
            response.setHeader(HttpHeaders.LOCATION, stored.location());
        }
        response.setHeader(REPLAYED, "true");
        if (stored.body() != null) {
            response.getOutputStream().write(stored.body());
        }
    }

    private void problem(HttpServletResponse response, HttpStatus status, String type, String title, String detail)
            throws IOException {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(PROBLEM_BASE + type));
        problem.setTitle(title);
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getOutputStream().write(this.json.writeValueAsBytes(problem));
    }

    private static String hash(HttpServletRequest request, byte[] body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((request.getMethod() + " " + request.getRequestURI() + "?"
                    + (request.getQueryString() != null ? request.getQueryString() : "") + "\n")
                .getBytes(StandardCharsets.UTF_8));
            digest.update(body);
            return HexFormat.of().formatHex(digest.digest());
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** A request whose body was read once, up front, and can be read again. */
    static final class CachedBodyRequest extends HttpServletRequestWrapper {

        final byte[] body;

        private CachedBodyRequest(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        /** Reads the body, at most {@code limit} bytes; {@code null} when it is longer. */
        static CachedBodyRequest read(HttpServletRequest request, long limit) throws IOException {
            byte[] body = request.getInputStream().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            return body.length > limit ? null : new CachedBodyRequest(request, body);
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(this.body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("synchronous reads only");
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }
    }
}
