/**
 * The broker topology, declared from configuration and identical wherever it is declared: producer
 * exchanges, quorum work queues with an explicit delivery limit and dead-letter exchange, retry tiers and
 * dead-letter queues.
 */
package io.tally.topology;
