/**
 * The payment and the payable order: a payment's state machine and its decisions, creating a payment and its
 * trade, the order's cancellation, and the settlement transitions that callbacks, queries, closes, refunds and
 * reconciliation share ({@link io.tally.payment.payments.Settlement}).
 */
@NullMarked
package io.tally.payment.payments;

import org.jspecify.annotations.NullMarked;
