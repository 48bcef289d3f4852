/**
 * The benchmark of the outbox relay and the consumer chain on a real broker and database.
 */
package io.tally.benchmark;
