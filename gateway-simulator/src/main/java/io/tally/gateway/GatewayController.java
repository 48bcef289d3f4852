package io.tally.gateway;

import java.util.List;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

import io.tally.channel.ChannelMessages.CloseResult;
import io.tally.channel.ChannelMessages.CreateTrade;
import io.tally.channel.ChannelMessages.LedgerEntry;
import io.tally.channel.ChannelMessages.Refund;
import io.tally.channel.ChannelMessages.RefundRequest;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.channel.PemKeys;

/** The channel's API, its user-facing pay action, its ledger and its fault injection. */
@RestController
@RequestMapping("/gateway")
class GatewayController {

    private static final Logger log = LoggerFactory.getLogger(GatewayController.class);

    private final Trades trades;

    private final Faults faults;

    private final CallbackSender callbacks;

    private final ChannelKeys keys;

    GatewayController(Trades trades, Faults faults, CallbackSender callbacks, ChannelKeys keys) {
        this.trades = trades;
        this.faults = faults;
        this.callbacks = callbacks;
        this.keys = keys;
    }

    @PostMapping("/trades")
    ResponseEntity<Trade> create(@RequestBody CreateTrade request) throws InterruptedException {
        this.faults.beforeCreate();
        return ResponseEntity.status(HttpStatus.CREATED).body(this.trades.create(request));
    }

    @GetMapping("/trades/{outTradeNo}")
    Trade query(@PathVariable String outTradeNo) throws InterruptedException {
        unavailableIf(Faults.Call.QUERY);
        return this.trades.query(outTradeNo);
    }

    @PostMapping("/trades/{outTradeNo}/close")
    CloseResult close(@PathVariable String outTradeNo) throws InterruptedException {
        unavailableIf(Faults.Call.CLOSE);
        return this.trades.close(outTradeNo);
    }

    @PostMapping("/refunds")
    Refund refund(@RequestBody RefundRequest request) throws InterruptedException {
        unavailableIf(Faults.Call.REFUND);
        if (this.faults.refuseNextRefund()) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST,
                    "Refund " + request.refundNo() + " refused by the channel (injected)");
        }
        return this.trades.refund(request);
    }

    /**
     * The user pays. {@code callbackDelayMs} in the body, when given, delays this trade's callback instead of the
     * faults' delay (for tests that aim a callback at a moment).
     */
    @PostMapping("/trades/{outTradeNo}/pay")
    Trade pay(@PathVariable String outTradeNo, @RequestBody(required = false) @Nullable PayOptions options) {
        Trade paid = this.trades.pay(outTradeNo, this.faults.captureAfterClose(), this.faults::capturedAfterClose);
        this.callbacks.paid(paid, this.faults.planCallback(options != null ? options.callbackDelayMs() : null));
        return paid;
    }

    /** The merchant's statement of a day, as CSV (a merchant call: signed). */
    @GetMapping(path = "/statements/{date}", produces = "text/csv")
    String statement(@PathVariable java.time.LocalDate date,
            @org.springframework.web.bind.annotation.RequestHeader(io.tally.channel.ChannelHeaders.MERCHANT) String merchantId) {
        return this.trades.statement(merchantId, date);
    }

    @GetMapping("/ledger")
    List<LedgerEntry> ledger() {
        return this.trades.ledger();
    }

    @GetMapping(path = "/public-key", produces = MediaType.TEXT_PLAIN_VALUE)
    String publicKey() {
        return PemKeys.pem(this.keys.publicKey());
    }

    @GetMapping("/faults")
    Faults.Settings faults() {
        return this.faults.current();
    }

    @PostMapping("/faults")
    Faults.Settings setFaults(@RequestBody Faults.Settings settings) {
        Faults.Settings now = this.faults.set(settings);
        log.info("Faults set: {}", now);
        return now;
    }

    /** How many times each fault was applied since the simulator started. */
    @GetMapping("/faults/applied")
    Faults.Applied appliedFaults() {
        return this.faults.applied();
    }

    @DeleteMapping("/faults")
    ResponseEntity<Void> clearFaults() {
        this.faults.clear();
        int released = this.callbacks.releaseHeld();
        log.info("Faults cleared ({} held callbacks released)", released);
        return ResponseEntity.noContent().build();
    }

    private void unavailableIf(Faults.Call call) throws InterruptedException {
        if (this.faults.failNext(call)) {
            throw new ResponseStatusException(HttpStatus.SERVICE_UNAVAILABLE, "Injected failure of " + call);
        }
    }

    /** Options of the user's pay action. */
    record PayOptions(@Nullable Long callbackDelayMs) {
    }
}
