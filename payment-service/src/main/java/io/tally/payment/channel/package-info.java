/** The merchant side of the channel protocol: signed requests and verified callbacks. */
@NullMarked
package io.tally.payment.channel;

import org.jspecify.annotations.NullMarked;
