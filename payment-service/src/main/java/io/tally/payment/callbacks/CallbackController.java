package io.tally.payment.callbacks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.tally.channel.ChannelHeaders;
import io.tally.channel.ChannelMessages.Notification;
import io.tally.payment.payments.UnknownPaymentException;

/**
 * The channel's callback endpoint. A callback is verified (signature, timestamp, nonce), stored raw under its
 * notification id in its own transaction, then applied; {@code success} is answered only after the effect is
 * committed, so anything else makes the channel send it again. A signed callback that names another merchant,
 * another trade or another currency is refused (403) and changes nothing.
 */
@RestController
class CallbackController {

    private static final Logger log = LoggerFactory.getLogger(CallbackController.class);

    private final CallbackVerifier verifier;

    private final CallbackService callbacks;

    private final JsonMapper json;

    private final Counter refused;

    CallbackController(CallbackVerifier verifier, CallbackService callbacks, JsonMapper json, MeterRegistry meters) {
        this.verifier = verifier;
        this.callbacks = callbacks;
        this.json = json;
        this.refused = Counter.builder("tally.payment.callbacks.refused")
            .description("Callbacks refused for a bad signature, a stale timestamp or a replayed nonce")
            .register(meters);
    }

    @PostMapping(path = "/api/payments/callbacks", produces = MediaType.TEXT_PLAIN_VALUE)
    ResponseEntity<String> callback(@RequestBody String body, HttpServletRequest request) {
        String refusal = this.verifier.refusal(request.getHeader(ChannelHeaders.TIMESTAMP),
                request.getHeader(ChannelHeaders.NONCE), request.getHeader(ChannelHeaders.SIGNATURE), body);
        if (refusal != null) {
            this.refused.increment();
            log.warn("ALERT refused a callback from {}: {}; body: {}", request.getRemoteAddr(), refusal,
                    body.length() > 500 ? body.substring(0, 500) : body);
            return ResponseEntity.status(HttpStatus.UNAUTHORIZED).body("refused: " + refusal);
        }
        Notification notification;
        try {
            notification = this.json.readValue(body, Notification.class);
        }
        catch (JacksonException ex) {
            log.warn("Refused a signed callback that is not a notification: {}", ex.getOriginalMessage());
            return ResponseEntity.badRequest().body("unreadable notification");
        }
        String malformed = malformed(notification);
        if (malformed != null) {
            log.warn("ALERT refused a signed callback that is not a well-formed notification: {}", malformed);
            return ResponseEntity.badRequest().body("refused: " + malformed);
        }
        this.callbacks.store(notification, body);
        try {
            CallbackResult outcome = this.callbacks.apply(notification);
            log.debug("Callback {} for {}: {}", notification.notificationId(), notification.outTradeNo(), outcome);
            if (outcome.kind() == CallbackResult.Kind.REFUSED) {
                // not this payment's: refused (recorded with the callback and in the exchange log), nothing applied
                return ResponseEntity.status(HttpStatus.FORBIDDEN).body(outcome.text());
            }
            return ResponseEntity.ok(ChannelHeaders.CALLBACK_SUCCESS);
        }
        catch (UnknownPaymentException ex) {
            log.warn("Callback {} names an unknown payment {}", notification.notificationId(), notification.outTradeNo());
            return ResponseEntity.status(HttpStatus.NOT_FOUND).body("unknown trade");
        }
    }

    /** What makes a parsed notification unusable (a missing field, one longer than what we keep), or {@code null}. */
    private static @org.jspecify.annotations.Nullable String malformed(Notification n) {
        if (n.notificationId() == null || n.notificationId().isBlank() || n.notificationId().length() > 64) {
            return "notificationId missing or longer than 64 characters";
        }
        if (n.outTradeNo() == null || n.outTradeNo().isBlank() || n.outTradeNo().length() > 40) {
            return "outTradeNo missing or longer than 40 characters";
        }
        if (n.merchantId() == null || n.tradeNo() == null || n.currency() == null || n.tradeStatus() == null) {
            return "merchantId, tradeNo, currency and tradeStatus are required";
        }
        return null;
    }
}
