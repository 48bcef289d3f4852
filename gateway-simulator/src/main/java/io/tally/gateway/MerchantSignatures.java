package io.tally.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingRequestWrapper;

import io.tally.channel.ChannelHeaders;
import io.tally.channel.Signatures;

/**
 * Verifies the merchant's signature on the channel API (create, query, close, refund): a known merchant, a
 * timestamp within the allowed skew, a nonce not seen within it, and a valid SHA256withRSA signature over the
 * request. The user's pay action, the ledger, the faults and the public key are not merchant calls.
 */
@Component
class MerchantSignatures extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(MerchantSignatures.class);

    private final ChannelKeys keys;

    private final Clock clock;

    private final Duration maxSkew;

    private final Map<String, Instant> nonces = new ConcurrentHashMap<>();

    private volatile Instant lastPurge = Instant.EPOCH;

    MerchantSignatures(ChannelKeys keys, Clock clock, GatewayProperties properties) {
        this.keys = keys;
        this.clock = clock;
        this.maxSkew = properties.maxClockSkew();
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI();
        boolean merchantCall = path.startsWith("/gateway/trades") || path.startsWith("/gateway/refunds")
                || path.startsWith("/gateway/statements");
        return !merchantCall || path.endsWith("/pay");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        byte[] bytes = request.getInputStream().readAllBytes();
        String body = new String(bytes, StandardCharsets.UTF_8);
        String merchant = request.getHeader(ChannelHeaders.MERCHANT);
        String timestamp = request.getHeader(ChannelHeaders.TIMESTAMP);
        String nonce = request.getHeader(ChannelHeaders.NONCE);
        String signature = request.getHeader(ChannelHeaders.SIGNATURE);
        String refusal = refusal(request, body, merchant, timestamp, nonce, signature);
        if (refusal != null) {
            log.warn("Refused a merchant request {} {} from '{}': {}", request.getMethod(), request.getRequestURI(),
                    merchant, refusal);
            response.setStatus(HttpStatus.UNAUTHORIZED.value());
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.getWriter().write("{\"type\":\"https://tally.example/problems/gateway-bad-signature\","
                    + "\"title\":\"Signature refused\",\"status\":401,\"detail\":\"" + refusal + "\"}");
            return;
        }
        chain.doFilter(new CachedBody(request, bytes), response);
    }

    private String refusal(HttpServletRequest request, String body, String merchant, String timestamp, String nonce,
            String signature) {
        if (merchant == null || timestamp == null || nonce == null || signature == null) {
            return "missing signature headers";
        }
        PublicKey key = this.keys.merchant(merchant);
        if (key == null) {
            return "unknown merchant";
        }
        Instant now = this.clock.instant();
        String stale = Signatures.staleness(timestamp, now, this.maxSkew);
        if (stale != null) {
            return stale;
        }
        String text = Signatures.requestText(request.getMethod(), request.getRequestURI(), timestamp, nonce, body);
        if (!Signatures.verify(text, signature, key)) {
            return "bad signature";
        }
        forgetOldNonces(now);
        if (this.nonces.putIfAbsent(merchant + ":" + nonce, now) != null) {
            return "nonce replayed";
        }
        return null;
    }

    /** Drops nonces too old to be accepted anyway, at most once per second rather than on every request. */
    private void forgetOldNonces(Instant now) {
        if (now.isAfter(this.lastPurge.plusSeconds(1))) {
            this.lastPurge = now;
            this.nonces.values().removeIf(seen -> seen.isBefore(now.minus(this.maxSkew.multipliedBy(2))));
        }
    }

    private static final class CachedBody extends ContentCachingRequestWrapper {

        private final byte[] body;

        CachedBody(HttpServletRequest request, byte[] body) {
            super(request, body.length);
            this.body = body;
        }

        @Override
        public jakarta.servlet.ServletInputStream getInputStream() {
            java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(this.body);
            return new jakarta.servlet.ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(jakarta.servlet.ReadListener listener) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read() {
                    return in.read();
                }
            };
        }
    }
}
