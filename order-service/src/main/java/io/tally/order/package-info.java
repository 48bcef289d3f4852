/**
 * The order service.
 */
package io.tally.order;
