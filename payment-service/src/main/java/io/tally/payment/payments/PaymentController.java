package io.tally.payment.payments;

import java.net.URI;
import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import org.jspecify.annotations.Nullable;

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
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.tally.http.IdempotencyFilter;
import io.tally.http.IdempotencyKeyRequired;
import io.tally.http.IdempotentRequest;
import io.tally.http.Problems;

/** The payment endpoints of docs/design.md, "payment-service". */
@RestController
@RequestMapping("/api/payments")
class PaymentController {

    /** The optional one-time payment token header. */
    static final String TOKEN = "Payment-Token";

    private final PaymentService payments;

    private final PayableProperties payable;

    PaymentController(PaymentService payments, PayableProperties payable) {
        this.payments = payments;
        this.payable = payable;
    }

    @PostMapping
    @IdempotencyKeyRequired
    ResponseEntity<Payment> create(@RequestHeader(IdempotencyFilter.HEADER) String key,
            @RequestHeader(name = TOKEN, required = false) @Nullable String token, @Valid @RequestBody CreatePayment body) {
        // an order order-service shows as awaiting payment may not have reached us yet: wait for it, do not refuse it
        this.payments.awaitKnown(body.orderNo(), this.payable.maxWait(), this.payable.poll());
        PaymentService.Created created = this.payments.create(body.orderNo(),
                IdempotentRequest.current().orElseGet(() -> new IdempotentRequest(key, "")), token, body.channel());
        return ResponseEntity.status(created.isNew() ? HttpStatus.CREATED : HttpStatus.OK)
            .location(URI.create("/api/payments/" + created.payment().paymentNo()))
            .body(created.payment());
    }

    @PostMapping("/tokens")
    ResponseEntity<Map<String, String>> token(@Valid @RequestBody CreatePayment body) {
        return ResponseEntity.status(HttpStatus.CREATED)
            .body(Map.of("orderNo", body.orderNo(), "token", this.payments.issueToken(body.orderNo())));
    }

    @GetMapping("/{paymentNo}")
    Payment get(@PathVariable @jakarta.validation.constraints.Size(max = 40) String paymentNo) {
        return this.payments.get(paymentNo);
    }

    @GetMapping
    List<Payment> ofOrder(@RequestParam @jakarta.validation.constraints.Size(max = 40) String orderNo) {
        return this.payments.ofOrder(orderNo);
    }

    /**
     * The channel could not be reached or did not answer in time: the payment is recorded but has no trade yet, the
     * order stays payable, and the same request (or any payment request for the order) asks the channel again for
     * the same payment's trade.
     */
    @ExceptionHandler
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.SERVICE_UNAVAILABLE)
    ResponseEntity<ProblemDetail> channelUnavailable(org.springframework.web.client.ResourceAccessException ex) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
            .header(org.springframework.http.HttpHeaders.RETRY_AFTER, "5")
            .body(Problems.of(HttpStatus.SERVICE_UNAVAILABLE, "channel-unavailable", "Payment channel unavailable",
                    "The payment channel cannot be reached; the order is still payable: send the same request again"));
    }

    /**
     * The channel answered with an error: a refusal (4xx) withdrew the payment; after a failure of the channel (5xx)
     * the payment waits for its trade like one the channel did not answer. The order stays payable.
     */
    @ExceptionHandler
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.BAD_GATEWAY)
    ResponseEntity<ProblemDetail> channelRefused(org.springframework.web.client.RestClientResponseException ex) {
        return ResponseEntity.status(HttpStatus.BAD_GATEWAY)
            .header(org.springframework.http.HttpHeaders.RETRY_AFTER, "30")
            .body(Problems.of(HttpStatus.BAD_GATEWAY, "channel-refused", "Payment channel refused the trade",
                    "The payment channel answered " + ex.getStatusCode().value() + "; the order is still payable"));
    }

    @ExceptionHandler
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.CONFLICT)
    ProblemDetail notPayable(NotPayableException ex) {
        return Problems.of(HttpStatus.CONFLICT, "order-not-payable", "Order not payable", ex.getMessage());
    }

    @ExceptionHandler
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.BAD_REQUEST)
    ProblemDetail unknownChannel(io.tally.payment.channel.UnknownChannelException ex) {
        return Problems.of(HttpStatus.BAD_REQUEST, "unknown-channel", "Unknown payment channel", ex.getMessage());
    }

    @ExceptionHandler
    @org.springframework.web.bind.annotation.ResponseStatus(HttpStatus.NOT_FOUND)
    ProblemDetail unknown(UnknownPaymentException ex) {
        return Problems.of(HttpStatus.NOT_FOUND, "unknown-payment", "Unknown payment", ex.getMessage());
    }

    /**
     * A payment request.
     * @param channel the channel to pay through ({@code simulator}, {@code alipay}, {@code wechat}: one enabled
     * here); when absent, {@code payment.default-channel}
     */
    record CreatePayment(@NotBlank @jakarta.validation.constraints.Size(max = 40) String orderNo,
            @jakarta.validation.constraints.Size(max = 16) @Nullable String channel) {
    }
}
