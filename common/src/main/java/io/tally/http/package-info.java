/**
 * Idempotent HTTP requests: a {@code POST} with an {@code Idempotency-Key} answers the first response to every
 * repetition with the same body, 422 to a different body and 409 while the first is still running.
 */
package io.tally.http;
