package io.tally.operator;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Keeps wrong passwords cheap. Checking an operator's password costs a BCrypt round (about 100 ms of CPU on a
 * small machine) when the password is configured as a hash, as it should be; a flood of wrong passwords would
 * spend the service's CPU on them. After {@code max} failed logins from one client address within
 * {@code window}, its requests with credentials are answered 429 (with {@code Retry-After}) without checking
 * them, until the window of its first failure ends. The counters live in a bounded cache (100,000 addresses at
 * most), so a flood from many addresses cannot grow them without bound.
 */
final class LoginThrottle extends OncePerRequestFilter {

    private final Cache<String, AtomicInteger> failures;

    private final int max;

    private final Duration window;

    private final Runnable refused;

    LoginThrottle(int max, Duration window, Runnable refused) {
        this.max = max;
        this.window = window;
        this.refused = refused;
        this.failures = Caffeine.newBuilder().expireAfterWrite(window).maximumSize(100_000).build();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        AtomicInteger failed = this.failures.getIfPresent(request.getRemoteAddr());
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (failed != null && failed.get() >= this.max && authorization != null) {
            this.refused.run();
            response.setStatus(HttpStatus.TOO_MANY_REQUESTS.value());
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, this.window.toSeconds())));
            response.setContentType("application/problem+json");
            response.getWriter().write("{\"type\":\"" + io.tally.http.Problems.BASE + "too-many-failed-logins\","
                    + "\"title\":\"Too many failed logins\",\"status\":429,\"detail\":\"" + this.max
                    + " failed logins from this address; credentials are not checked until the window ends\"}");
            return;
        }
        chain.doFilter(request, response);
    }

    /** A login from the request's address failed. */
    void failed(HttpServletRequest request) {
        this.failures.get(request.getRemoteAddr(), address -> new AtomicInteger()).incrementAndGet();
    }
}
