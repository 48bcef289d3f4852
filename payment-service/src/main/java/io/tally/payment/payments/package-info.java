/** Payments against the channel: create, callback, close and refund, each a conditional transition. */
@NullMarked
package io.tally.payment.payments;

import org.jspecify.annotations.NullMarked;
