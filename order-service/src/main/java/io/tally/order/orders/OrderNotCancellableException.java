package io.tally.order.orders;

/** The order can no longer be cancelled (it is paid). */
public class OrderNotCancellableException extends RuntimeException {

    OrderNotCancellableException(String orderNo, OrderStatus status) {
        super("Order " + orderNo + " is " + status + " and can no longer be cancelled");
    }
}
