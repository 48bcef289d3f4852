package io.tally.payment.payments;

/** No payment has this number. */
public class UnknownPaymentException extends RuntimeException {

    UnknownPaymentException(String paymentNo) {
        super("No payment " + paymentNo);
    }
}
