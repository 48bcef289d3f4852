/**
 * The transactional outbox: events written in the business transaction, published by a relay with
 * publisher confirms, claimed with leases so that several instances never double-publish, in order per
 * aggregate.
 */
package io.tally.outbox;
