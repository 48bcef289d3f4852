/**
 * The channel's callbacks: the endpoint, their verification (signature, timestamp, nonce), storing each raw
 * before it is applied, and applying it to its payment.
 */
@NullMarked
package io.tally.payment.callbacks;

import org.jspecify.annotations.NullMarked;
