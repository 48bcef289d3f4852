/** The order endpoints of DESIGN section 7. */
@NullMarked
package io.tally.order.orders.web;

import org.jspecify.annotations.NullMarked;
