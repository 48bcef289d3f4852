/** The stock endpoints of docs/design.md, "inventory-service". */
@NullMarked
package io.tally.inventory.stock.web;

import org.jspecify.annotations.NullMarked;
