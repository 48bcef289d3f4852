/**
 * The merchant side of the channel protocol: signed requests, and the exchange log of every request and callback
 * (the callbacks themselves are the {@code callbacks} package's).
 */
@NullMarked
package io.tally.payment.channel;

import org.jspecify.annotations.NullMarked;
