/** The events the order service consumes. */
@NullMarked
package io.tally.order.orders.messaging;

import org.jspecify.annotations.NullMarked;
