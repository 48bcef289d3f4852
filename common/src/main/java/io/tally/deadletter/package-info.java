/**
 * Dead letters and compensation: every dead-letter queue is read as raw messages and stored before it is
 * acknowledged; transient ones are re-driven on a backoff schedule, the rest parked for an operator.
 */
package io.tally.deadletter;
