package io.tally.http;

/**
 * An {@code Idempotency-Key} already used by another request (another body, path or method): answered 422
 * {@code idempotency-key-reused}, as the filter answers while the first response is stored.
 */
public final class IdempotencyKeyReusedException extends RuntimeException {

    public IdempotencyKeyReusedException(String key) {
        super("This Idempotency-Key was used with another request; use a new key for a new request");
    }
}
