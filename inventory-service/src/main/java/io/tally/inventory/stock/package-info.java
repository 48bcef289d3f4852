/** Catalogue and stock: reserve, commit and release, each a conditional update. */
@NullMarked
package io.tally.inventory.stock;

import org.jspecify.annotations.NullMarked;
