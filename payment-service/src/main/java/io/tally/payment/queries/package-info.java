/**
 * What payment-service asks the channel on its own about a payment: active queries of payments without callback,
 * and the closes of cancelled orders' trades. Each is scheduled on the payment row, claimed by one instance, asked
 * outside any transaction, and its answer applied in a transaction of its own.
 */
@NullMarked
package io.tally.payment.queries;

import org.jspecify.annotations.NullMarked;
