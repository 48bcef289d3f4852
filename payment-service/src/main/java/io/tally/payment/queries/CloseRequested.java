package io.tally.payment.queries;

/**
 * A close of the payment's trade was recorded as due ({@link CloseSchedule}); published in the recording
 * transaction, and wakes the close task after its commit.
 */
public record CloseRequested(String paymentNo) {
}
