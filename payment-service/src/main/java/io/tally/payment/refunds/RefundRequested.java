package io.tally.payment.refunds;

/** A refund was requested; published in the requesting transaction, and wakes the refund worker after its commit. */
record RefundRequested(String refundNo) {
}
