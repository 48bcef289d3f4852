/** Benefits granted on payment, once per order. */
@NullMarked
package io.tally.order.coupon;

import org.jspecify.annotations.NullMarked;
