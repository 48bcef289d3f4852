/**
 * The inventory service.
 */
package io.tally.inventory;
