package io.tally.order.orders;

/** No order has this number. */
public class UnknownOrderException extends RuntimeException {

    UnknownOrderException(String orderNo) {
        super("No order " + orderNo);
    }
}
