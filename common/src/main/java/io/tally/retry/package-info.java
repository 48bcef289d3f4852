/**
 * Bounded retry of failed messages: which failures are permanent, and re-routing a failed message to a
 * retry tier or the dead-letter exchange with publisher confirms.
 */
package io.tally.retry;
