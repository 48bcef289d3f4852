/** The events inventory consumes. */
@NullMarked
package io.tally.inventory.stock.messaging;

import org.jspecify.annotations.NullMarked;
