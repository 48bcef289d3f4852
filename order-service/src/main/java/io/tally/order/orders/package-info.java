/** Orders and their state machine, payment deadline and timeout cancellation. */
@NullMarked
package io.tally.order.orders;

import org.jspecify.annotations.NullMarked;
