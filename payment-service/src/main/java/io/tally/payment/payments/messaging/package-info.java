/** The events payment-service consumes. */
@NullMarked
package io.tally.payment.payments.messaging;

import org.jspecify.annotations.NullMarked;
