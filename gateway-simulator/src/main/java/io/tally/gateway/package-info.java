/**
 * The payment channel simulator.
 */
package io.tally.gateway;
