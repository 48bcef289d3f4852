package io.tally.payment.payments;

/** The order cannot be paid now. */
public class NotPayableException extends RuntimeException {

    NotPayableException(String orderNo, String why) {
        super("Order " + orderNo + " is not payable: " + why);
    }
}
