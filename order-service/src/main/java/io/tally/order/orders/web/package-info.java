/** The order endpoints of docs/design.md, "order-service". */
@NullMarked
package io.tally.order.orders.web;

import org.jspecify.annotations.NullMarked;
