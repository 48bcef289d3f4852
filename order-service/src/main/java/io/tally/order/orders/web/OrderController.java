package io.tally.order.orders.web;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;

import org.jspecify.annotations.Nullable;

import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
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
import org.springframework.web.context.request.async.DeferredResult;

import io.tally.http.IdempotencyFilter;
import io.tally.http.IdempotencyKeyRequired;
import io.tally.http.IdempotentRequest;
import io.tally.http.Problems;
import io.tally.order.orders.Order;
import io.tally.order.orders.OrderNotCancellableException;
import io.tally.order.orders.OrderService;
import io.tally.order.orders.OrderWaits;
import io.tally.order.orders.UnknownOrderException;

/** The order endpoints of docs/design.md, "order-service". */
@RestController
@RequestMapping("/api/orders")
class OrderController {

    private final OrderService orders;

    private final io.tally.order.orders.OrderProperties properties;

    private final OrderWaits waits;

    OrderController(OrderService orders, io.tally.order.orders.OrderProperties properties, OrderWaits waits) {
        this.orders = orders;
        this.properties = properties;
        this.waits = waits;
    }

    @PostMapping
    @IdempotencyKeyRequired
    ResponseEntity<Order> place(@RequestHeader(IdempotencyFilter.HEADER) String key, @Valid @RequestBody PlaceOrder body) {
        checkQuantities(body.items());
        Order order = this.orders.place(body.userId(),
                body.items().stream().map(i -> new Order.Item(i.sku(), i.quantity(), null)).toList(),
                IdempotentRequest.current().orElseGet(() -> new IdempotentRequest(key, "")));
        return ResponseEntity.created(URI.create("/api/orders/" + order.orderNo())).eTag(OrderWaits.tag(order))
            .body(order);
    }

    /** The order, with its version as the entity tag; 304 when the client holds that version already. */
    @GetMapping("/{orderNo}")
    ResponseEntity<Order> get(@PathVariable @Size(max = 40) String orderNo,
            @RequestHeader(name = HttpHeaders.IF_NONE_MATCH, required = false) @Nullable String ifNoneMatch) {
        Order order = this.orders.get(orderNo);
        String tag = OrderWaits.tag(order);
        return LongPoll.matches(ifNoneMatch, tag) ? notModified(tag, null) : current(order, tag, null);
    }

    /**
     * A long poll: the client holds a version of the order ({@code If-None-Match}) and asks to wait for the next
     * ({@code Prefer: wait=N}, RFC 7240, seconds, at most {@code order.wait-max}). It is answered with the order
     * as soon as it changes, or 304 when the wait is over; {@code Preference-Applied} says how long it waited at
     * most. No thread waits with it. When {@code order.wait-max-waiters} requests wait already, 503 with
     * {@code Retry-After}.
     */
    @GetMapping(path = "/{orderNo}", headers = { HttpHeaders.IF_NONE_MATCH, "Prefer" })
    DeferredResult<ResponseEntity<?>> await(@PathVariable @Size(max = 40) String orderNo,
            @RequestHeader(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch, @RequestHeader("Prefer") String prefer) {
        Order order = this.orders.get(orderNo);
        String tag = OrderWaits.tag(order);
        Optional<Duration> asked = LongPoll.wait(prefer);
        if (!LongPoll.matches(ifNoneMatch, tag) || asked.isEmpty() || asked.get().isZero()) {
            DeferredResult<ResponseEntity<?>> now = new DeferredResult<>();
            now.setResult(LongPoll.matches(ifNoneMatch, tag) ? notModified(tag, null) : current(order, tag, null));
            return now;
        }
        Duration wait = this.waits.bound(asked.get());
        String applied = "wait=" + wait.toSeconds();
        DeferredResult<ResponseEntity<?>> result = new DeferredResult<>(wait.plusSeconds(5).toMillis(),
                () -> notModified(tag, applied));
        AtomicBoolean ended = new AtomicBoolean();
        result.onCompletion(() -> ended.set(true)); // after a timeout, an error or a client gone, too
        this.waits.changedFrom(orderNo, tag, wait, ended::get).whenComplete((waited, failure) -> {
            if (failure != null) {
                result.setErrorResult(failure instanceof CompletionException ? failure.getCause() : failure);
            }
            else if (waited.refused()) {
                result.setResult(ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                    .header(HttpHeaders.RETRY_AFTER, "1")
                    .body(Problems.of(HttpStatus.SERVICE_UNAVAILABLE, "too-many-waiting", "Too many waiting",
                            "Too many requests wait for orders to change; ask again without waiting, or wait later")));
            }
            else if (waited.changed() != null) {
                result.setResult(current(waited.changed(), OrderWaits.tag(waited.changed()), applied));
            }
            else {
                result.setResult(notModified(tag, applied));
            }
        });
        return result;
    }

    private static ResponseEntity<Order> current(Order order, String tag, @Nullable String applied) {
        ResponseEntity.BodyBuilder response = ResponseEntity.ok().eTag(tag).cacheControl(CacheControl.noCache());
        if (applied != null) {
            response.header("Preference-Applied", applied);
        }
        return response.body(order);
    }

    private static ResponseEntity<Order> notModified(String tag, @Nullable String applied) {
        ResponseEntity.HeadersBuilder<?> response = ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(tag)
            .cacheControl(CacheControl.noCache());
        if (applied != null) {
            response.header("Preference-Applied", applied);
        }
        return response.build();
    }

    @PostMapping("/{orderNo}/cancel")
    ResponseEntity<Order> cancel(@PathVariable @Size(max = 40) String orderNo) {
        Order order = this.orders.cancelByUser(orderNo);
        return ResponseEntity.ok().eTag(OrderWaits.tag(order)).body(order);
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
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.BAD_REQUEST)
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
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.NOT_FOUND)
    ProblemDetail unknown(UnknownOrderException ex) {
        return Problems.of(HttpStatus.NOT_FOUND, "unknown-order", "Unknown order", ex.getMessage());
    }

    @ExceptionHandler
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.CONFLICT)
    ProblemDetail notCancellable(OrderNotCancellableException ex) {
        return Problems.of(HttpStatus.CONFLICT, "order-not-cancellable", "Order not cancellable", ex.getMessage());
    }

    record PlaceOrder(@NotBlank @Size(max = 64) String userId,
            @NotEmpty @Size(max = 50) List<@NotNull(message = "must not be null") @Valid Item> items) {
    }

    record Item(@NotBlank @Size(max = 64) String sku, @NotNull @Positive Integer quantity) {
    }
}
