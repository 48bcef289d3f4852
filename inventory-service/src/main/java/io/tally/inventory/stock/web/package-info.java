/** The stock endpoints of DESIGN section 7. */
@NullMarked
package io.tally.inventory.stock.web;

import org.jspecify.annotations.NullMarked;
