/** The payment endpoints and the channel's callback endpoint. */
@NullMarked
package io.tally.payment.payments.web;

import org.jspecify.annotations.NullMarked;
