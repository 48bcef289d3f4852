package io.tally.http;

import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.jdbc.SqlTime;

/**
 * The stored requests, each in a short transaction of its own.
 */
final class IdempotentRequests {

    static final String INSERT = """
            INSERT INTO tally_idempotent_request (idempotency_key, request_hash, status, locked_until, created_at, expires_at,
                claim_token)
            VALUES (:key, :hash, 'IN_FLIGHT', :lockedUntil, :now, :expiresAt, :token)
            """;

    static final String LOCK = """
            SELECT request_hash, status, locked_until, response_status, content_type, location, response_body, expires_at
              FROM tally_idempotent_request WHERE idempotency_key = :key FOR UPDATE
            """;

    static final String RESTART = """
            UPDATE tally_idempotent_request
               SET request_hash = :hash, status = 'IN_FLIGHT', locked_until = :lockedUntil, response_status = NULL,
                   content_type = NULL, location = NULL, response_body = NULL, created_at = :now, expires_at = :expiresAt,
                   claim_token = :token
             WHERE idempotency_key = :key
            """;

    static final String COMPLETE = """
            UPDATE tally_idempotent_request
               SET status = 'COMPLETED', response_status = :status, content_type = :contentType, location = :location,
                   response_body = :body
             WHERE idempotency_key = :key AND status = 'IN_FLIGHT' AND claim_token = :token
            """;

    static final String RELEASE = """
            DELETE FROM tally_idempotent_request WHERE idempotency_key = :key AND status = 'IN_FLIGHT' AND claim_token = :token
            """;

    static final String PURGE = "DELETE FROM tally_idempotent_request WHERE expires_at < :now LIMIT 5000";

    private final JdbcClient jdbc;

    private final TransactionTemplate transaction;

    IdempotentRequests(JdbcClient jdbc, TransactionTemplate transaction) {
        this.jdbc = jdbc;
        this.transaction = transaction;
    }

    /** Starts a request (with a claim token of its own), or tells what an earlier one with the same key became. */
    Begin begin(String key, String hash, Instant now, Instant lockedUntil, Instant expiresAt) {
        String token = java.util.UUID.randomUUID().toString();
        try {
            this.transaction.executeWithoutResult(s -> this.jdbc.sql(INSERT)
                .param("key", key)
                .param("hash", hash)
                .param("lockedUntil", SqlTime.of(lockedUntil))
                .param("now", SqlTime.of(now))
                .param("expiresAt", SqlTime.of(expiresAt))
                .param("token", token)
                .update());
            return new Begin(Outcome.STARTED, null, token);
        }
        catch (DuplicateKeyException ex) {
            // an earlier request with this key: decide under its row lock
        }
        return this.transaction.execute(s -> {
            Optional<Stored> found = this.jdbc.sql(LOCK).param("key", key).query((rs, n) -> new Stored(
                    rs.getString(1), rs.getString(2), SqlTime.instant(rs.getObject(3, LocalDateTime.class)),
                    (Integer) rs.getObject(4), rs.getString(5), rs.getString(6), rs.getBytes(7),
                    SqlTime.instant(rs.getObject(8, LocalDateTime.class)))).optional();
            if (found.isEmpty() || found.get().expiresAt().isBefore(now)) {
                if (found.isEmpty()) {
                    this.jdbc.sql(INSERT).param("key", key).param("hash", hash).param("lockedUntil", SqlTime.of(lockedUntil))
                        .param("now", SqlTime.of(now)).param("expiresAt", SqlTime.of(expiresAt)).param("token", token).update();
                }
                else {
                    restart(key, hash, now, lockedUntil, expiresAt, token);
                }
                return new Begin(Outcome.STARTED, null, token);
            }
            Stored stored = found.get();
            if (!stored.hash().equals(hash)) {
                return new Begin(Outcome.MISMATCH, stored, null);
            }
            if (stored.status().equals("COMPLETED")) {
                return new Begin(Outcome.COMPLETED, stored, null);
            }
            if (stored.lockedUntil().isAfter(now)) {
                return new Begin(Outcome.IN_FLIGHT, stored, null);
            }
            restart(key, hash, now, lockedUntil, expiresAt, token);
            return new Begin(Outcome.STARTED, null, token);
        });
    }

    private void restart(String key, String hash, Instant now, Instant lockedUntil, Instant expiresAt, String token) {
        this.jdbc.sql(RESTART).param("hash", hash).param("lockedUntil", SqlTime.of(lockedUntil)).param("now", SqlTime.of(now))
            .param("expiresAt", SqlTime.of(expiresAt)).param("token", token).param("key", key).update();
    }

    /** Stores the response; {@code false} when the claim is no longer this request's (it was taken over). */
    boolean complete(String key, String token, int status, @Nullable String contentType, @Nullable String location,
            byte[] body) {
        Integer updated = this.transaction.execute(s -> this.jdbc.sql(COMPLETE)
            .param("status", status)
            .param("contentType", contentType)
            .param("location", location)
            .param("body", body)
            .param("key", key)
            .param("token", token)
            .update());
        return updated != null && updated == 1;
    }

    /** Frees the key, unless another request took it over meanwhile. */
    void release(String key, String token) {
        this.transaction.executeWithoutResult(s -> this.jdbc.sql(RELEASE).param("key", key).param("token", token).update());
    }

    int purge(Instant now) {
        Integer deleted = this.transaction.execute(s -> this.jdbc.sql(PURGE).param("now", SqlTime.of(now)).update());
        return deleted != null ? deleted : 0;
    }

    enum Outcome {
        STARTED, COMPLETED, MISMATCH, IN_FLIGHT
    }

    record Begin(Outcome outcome, @Nullable Stored stored, @Nullable String token) {
    }

    record Stored(String hash, String status, Instant lockedUntil, @Nullable Integer responseStatus,
            @Nullable String contentType, @Nullable String location, byte @Nullable [] body, Instant expiresAt) {
    }
}
