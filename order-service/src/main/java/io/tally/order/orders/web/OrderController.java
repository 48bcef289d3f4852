package io.tally.order.orders.web;

import java.net.URI;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.tally.http.IdempotencyFilter;
import io.tally.http.IdempotencyKeyRequired;
import io.tally.http.IdempotentRequest;
import io.tally.http.Problems;
import io.tally.order.orders.Order;
import io.tally.order.orders.OrderNotCancellableException;
import io.tally.order.orders.OrderService;
import io.tally.order.orders.UnknownOrderException;

/** The order endpoints of docs/design.md, "order-service". */
@RestController
@RequestMapping("/api/orders")
class OrderController {

    private final OrderService orders;

    private final io.tally.order.orders.OrderProperties properties;

    OrderController(OrderService orders, io.tally.order.orders.OrderProperties properties) {
        this.orders = orders;
        this.properties = properties;
    }

    @PostMapping
    @IdempotencyKeyRequired
    ResponseEntity<Order> place(@RequestHeader(IdempotencyFilter.HEADER) String key, @Valid @RequestBody PlaceOrder body) {
        checkQuantities(body.items());
        Order order = this.orders.place(body.userId(),
                body.items().stream().map(i -> new Order.Item(i.sku(), i.quantity(), null)).toList(),
                IdempotentRequest.current().orElseGet(() -> new IdempotentRequest(key, "")));
        return ResponseEntity.created(URI.create("/api/orders/" + order.orderNo())).body(order);
    }

    @GetMapping("/{orderNo}")
    Order get(@PathVariable @Size(max = 40) String orderNo) {
        return this.orders.get(orderNo);
    }

    @PostMapping("/{orderNo}/cancel")
    Order cancel(@PathVariable @Size(max = 40) String orderNo) {
        return this.orders.cancelByUser(orderNo);
    }

    /** Each line within its bound, and their sum (exact: no sum wraps) within the order's. */
    private void checkQuantities(List<Item> items) {
        long total = 0;
        for (Item item : items) {
            if (item.quantity() > this.properties.maxQuantityPerLine()) {
                throw new QuantityOutOfRangeException("a line asks for " + item.quantity() + " of " + item.sku()
                        + "; at most " + this.properties.maxQuantityPerLine() + " per line");
            }
            total = Math.addExact(total, item.quantity());
        }
        if (total > this.properties.maxQuantityPerOrder()) {
            throw new QuantityOutOfRangeException("the order asks for " + total + " units; at most "
                    + this.properties.maxQuantityPerOrder() + " per order");
        }
    }

    @ExceptionHandler
    ProblemDetail quantityOutOfRange(QuantityOutOfRangeException ex) {
        return Problems.of(HttpStatus.BAD_REQUEST, "quantity-out-of-range", "Quantity out of range", ex.getMessage());
    }

    /** A quantity beyond what one line or one order may ask for. */
    static final class QuantityOutOfRangeException extends RuntimeException {

        QuantityOutOfRangeException(String message) {
            super(message);
        }
    }

    @ExceptionHandler
    ProblemDetail unknown(UnknownOrderException ex) {
        return Problems.of(HttpStatus.NOT_FOUND, "unknown-order", "Unknown order", ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail notCancellable(OrderNotCancellableException ex) {
        return Problems.of(HttpStatus.CONFLICT, "order-not-cancellable", "Order not cancellable", ex.getMessage());
    }

    record PlaceOrder(@NotBlank @Size(max = 64) String userId,
            @NotEmpty @Size(max = 50) List<@NotNull(message = "must not be null") @Valid Item> items) {
    }

    record Item(@NotBlank @Size(max = 64) String sku, @NotNull @Positive Integer quantity) {
    }
}
