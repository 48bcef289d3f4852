/**
 * Operators' tools: query a payment now, retry a stuck refund, read the exchange log, list what is flagged, each
 * action recorded with who and when.
 */
@NullMarked
package io.tally.payment.operator;

import org.jspecify.annotations.NullMarked;
