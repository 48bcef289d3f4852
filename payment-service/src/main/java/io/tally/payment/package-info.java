/**
 * The payment service.
 */
package io.tally.payment;
