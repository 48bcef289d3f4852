package io.tally.deadletter;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * An action taken on a dead letter or a DEAD outbox row: by an operator (REPLAY, DISCARD) or by the
 * compensation consumer (REDRIVE).
 *
 * @param action what was done
 * @param actor who did it
 * @param reason why, as given
 * @param at when
 */
public record DeadLetterAction(String action, String actor, @Nullable String reason, Instant at) {
}
