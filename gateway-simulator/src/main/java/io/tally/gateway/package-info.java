/** A stand-in for the third-party payment channel: trades, payments, signed callbacks, refunds and faults. */
@NullMarked
package io.tally.gateway;

import org.jspecify.annotations.NullMarked;
