/**
 * Refunds: one per payment, numbered from it, requested in the transaction that decides it, then issued to the
 * channel by a worker with the same number until the channel confirms it, and confirmed once.
 */
@NullMarked
package io.tally.payment.refunds;

import org.jspecify.annotations.NullMarked;
