package io.tally.http;

import java.util.Objects;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;

/**
 * The idempotent request this thread serves, as the {@link IdempotencyFilter} claimed it: its key and the hash
 * of what it asks (method, path and body). A service keeps both with the effect it creates (the order, the
 * payment), so that a repetition that runs again anyway (its first run committed, but its response could not be
 * stored; or the stored response expired) finds the effect by its key and answers it instead of making a second
 * one, and a different request with the same key is refused.
 *
 * @param key the {@code Idempotency-Key}, compared byte for byte
 * @param requestHash SHA-256 of the request's method, path, query and body, hex
 */
public record IdempotentRequest(String key, String requestHash) {

    static final String ATTRIBUTE = IdempotentRequest.class.getName();

    public IdempotentRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(requestHash, "requestHash");
    }

    /** The idempotent request in progress on this thread, if the filter claimed one. */
    public static Optional<IdempotentRequest> current() {
        RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
        return attributes == null ? Optional.empty()
                : Optional.ofNullable((IdempotentRequest) attributes.getAttribute(ATTRIBUTE, RequestAttributes.SCOPE_REQUEST));
    }

    /**
     * Checks that an effect found by this request's key was made by this same request.
     * @param storedHash the request hash kept with the effect; {@code null} (an effect from before hashes were
     * kept) is accepted
     * @throws IdempotencyKeyReusedException when another request made it
     */
    public void requireSameRequest(@Nullable String storedHash) {
        if (storedHash != null && !storedHash.equals(this.requestHash)) {
            throw new IdempotencyKeyReusedException(this.key);
        }
    }
}
