package io.tally.payment.callbacks;

import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.tally.channel.ChannelMessages.Notification;
import io.tally.payment.channel.Channels;
import io.tally.payment.channel.PaymentChannel;
import io.tally.payment.channel.PaymentChannel.Verification;
import io.tally.payment.channel.SimulatorChannel;
import io.tally.payment.channel.UnknownChannelException;
import io.tally.payment.payments.UnknownPaymentException;

/**
 * The channels' callback (asynchronous notification) endpoints: {@code /api/payments/callbacks/{channel}} for each
 * enabled channel, and {@code /api/payments/callbacks} for the simulator's protocol. A callback is verified by its
 * channel (signature, and freshness where the channel says how), stored raw under its notification id in its own
 * transaction, then applied; the channel's acknowledgement is answered only after the effect is committed, so
 * anything else makes the channel send it again. A verified callback that names another merchant, another trade
 * or another currency is refused (403) and changes nothing.
 */
@RestController
class CallbackController {

    private static final Logger log = LoggerFactory.getLogger(CallbackController.class);

    private final Channels channels;

    private final CallbackService callbacks;

    private final Counter refused;

    CallbackController(Channels channels, CallbackService callbacks, MeterRegistry meters) {
        this.channels = channels;
        this.callbacks = callbacks;
        this.refused = Counter.builder("tally.payment.callbacks.refused")
            .description("Callbacks refused for a bad signature, a stale timestamp or a replayed nonce")
            .register(meters);
    }

    @PostMapping(path = "/api/payments/callbacks")
    ResponseEntity<String> simulator(@RequestBody(required = false) @Nullable String body, HttpServletRequest request) {
        return callback(SimulatorChannel.NAME, body, request);
    }

    @PostMapping(path = "/api/payments/callbacks/{channel}")
    ResponseEntity<String> callback(@PathVariable String channel, @RequestBody(required = false) @Nullable String body,
            HttpServletRequest request) {
        PaymentChannel paymentChannel;
        try {
            paymentChannel = this.channels.named(channel);
        }
        catch (UnknownChannelException ex) {
            return ResponseEntity.status(HttpStatus.NOT_FOUND).body("unknown channel");
        }
        String text = body != null ? body : "";
        Verification verification = paymentChannel.verify(new PaymentChannel.CallbackRequest(headers(request), text));
        if (verification instanceof Verification.Refused refusal) {
            // a forgery's trade number is anyone's: only an authentic refusal is filed under its payment
            if (refusal.outTradeNo() != null && refusal.kind() != Verification.Refused.Kind.FORGED) {
                request.setAttribute(io.tally.payment.channel.ExchangeLog.TRADE_ATTRIBUTE, refusal.outTradeNo());
            }
            return switch (refusal.kind()) {
                case FORGED -> {
                    this.refused.increment();
                    log.warn("ALERT refused a {} callback from {}: {}; body: {}", channel, request.getRemoteAddr(),
                            refusal.reason(), text.length() > 500 ? text.substring(0, 500) : text);
                    yield paymentChannel.reject(HttpStatus.UNAUTHORIZED, "refused: " + refusal.reason());
                }
                case MALFORMED -> {
                    log.warn("ALERT refused a {} callback that is not a well-formed notification: {}", channel,
                            refusal.reason());
                    yield paymentChannel.reject(HttpStatus.BAD_REQUEST, "refused: " + refusal.reason());
                }
                case NOT_OURS -> {
                    log.warn("ALERT refused a {} callback addressed to someone else: {}", channel, refusal.reason());
                    yield paymentChannel.reject(HttpStatus.FORBIDDEN, "refused: " + refusal.reason());
                }
            };
        }
        Verification.Verified verified = (Verification.Verified) verification;
        Notification notification = verified.notification();
        request.setAttribute(io.tally.payment.channel.ExchangeLog.TRADE_ATTRIBUTE, notification.outTradeNo());
        this.callbacks.store(notification, verified.raw());
        try {
            CallbackResult outcome = this.callbacks.apply(notification, paymentChannel);
            log.debug("Callback {} for {}: {}", notification.notificationId(), notification.outTradeNo(), outcome);
            if (outcome.kind() == CallbackResult.Kind.REFUSED) {
                // not this payment's: refused (recorded with the callback and in the exchange log), nothing applied
                return paymentChannel.reject(HttpStatus.FORBIDDEN, outcome.text());
            }
            return paymentChannel.acknowledge();
        }
        catch (UnknownPaymentException ex) {
            log.warn("Callback {} names an unknown payment {}", notification.notificationId(), notification.outTradeNo());
            return paymentChannel.reject(HttpStatus.NOT_FOUND, "unknown trade");
        }
    }

    /** The request's headers, names in lower case (the first value of each). */
    private static Map<String, String> headers(HttpServletRequest request) {
        Map<String, String> headers = new HashMap<>();
        for (String name : Collections.list(request.getHeaderNames())) {
            String value = request.getHeader(name);
            if (value != null) {
                headers.putIfAbsent(name.toLowerCase(Locale.ROOT), value);
            }
        }
        return headers;
    }
}
