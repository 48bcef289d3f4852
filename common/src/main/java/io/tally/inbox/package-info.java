/**
 * The idempotent consumer: one listener chain, applied to every {@link io.tally.inbox.EventHandler}, that
 * runs the handler in a transaction with a dedup insert, acknowledges after the commit, and routes failures
 * to retry tiers or the dead-letter queue.
 */
package io.tally.inbox;
