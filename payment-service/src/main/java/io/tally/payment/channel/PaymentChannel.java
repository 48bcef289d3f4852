package io.tally.payment.channel;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import io.tally.channel.ChannelMessages.CloseResult;
import io.tally.channel.ChannelMessages.Notification;
import io.tally.channel.ChannelMessages.Refund;
import io.tally.channel.ChannelMessages.Trade;

/**
 * A payment channel as payment-service uses it: the simulator's own protocol, Alipay or WeChat Pay. Everything
 * else in payment-service (callbacks, active queries, closes, refunds, reconciliation) depends only on this.
 * <p>
 * Amounts are integers of minor units whatever the channel puts on the wire. A failed call throws a
 * {@link org.springframework.web.client.RestClientException}, whatever the channel's SDK threw:
 * {@link org.springframework.web.client.ResourceAccessException} when the channel could not be reached or did
 * not answer in time (the caller retries), an {@link org.springframework.web.client.HttpClientErrorException}
 * when the channel refused the request (retrying the same cannot help), an
 * {@link org.springframework.web.client.HttpServerErrorException} when it failed (the caller retries). Every call
 * is safe to repeat: trades are created once per trade number and refunds once per refund number.
 */
public interface PaymentChannel {

    /** The channel's name, as payments store it and as {@code channel} in a payment request names it. */
    String name();

    /** Our merchant identity at this channel, which its notifications must name. */
    String merchantId();

    /** Opens the trade, payable until {@code expireAt} (idempotent by {@code outTradeNo}). */
    OpenedTrade createTrade(String outTradeNo, long amount, String currency, Instant expireAt, String subject);

    /** The trade as the channel knows it, or {@code null} when it knows none. */
    @Nullable Trade query(String outTradeNo);

    /**
     * Closes the trade, or learns that it was already paid. A trade the channel does not know is closed, once it
     * can no longer be paid: {@code expireAt} is the expiry it was opened with (Alipay does not know a QR trade
     * nobody scanned, which stays payable until then).
     */
    CloseResult close(String outTradeNo, Instant expireAt);

    /**
     * Refunds {@code amount} of the trade under our {@code refundNo} (idempotent by it: the same number never
     * refunds twice). A refund the channel accepted but has not finished throws a
     * {@link org.springframework.web.client.HttpServerErrorException} (503), so the caller asks again later.
     * @param tradeAmount the trade's whole amount (some channels want it with every refund)
     */
    Refund refund(String outTradeNo, String refundNo, long amount, long tradeAmount, String currency, String reason);

    /** The refund as the channel knows it when it is finished, or {@code null} when it knows none or not yet. */
    @Nullable Refund queryRefund(String outTradeNo, String refundNo);

    /**
     * Verifies a notification (callback) with the channel's key and reads it: a
     * {@link Verification.Verified} only when it is authentic, fresh where the channel says how, and addressed to
     * us (our app, merchant or seller); a {@link Verification.Refused} otherwise.
     */
    Verification verify(CallbackRequest request);

    /** The answer that tells the channel its notification was applied and must not be sent again. */
    ResponseEntity<String> acknowledge();

    /** The answer that tells the channel to send its notification again later (or that it was refused). */
    ResponseEntity<String> reject(HttpStatus status, String reason);

    /** The channel's statement of a day, downloaded, parsed and checked against its own totals. */
    Statement statement(LocalDate day);

    /**
     * A notification as it arrived.
     * @param headers its headers, names in lower case
     * @param body its body as received
     */
    record CallbackRequest(Map<String, String> headers, String body) {

        public @Nullable String header(String name) {
            return this.headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** What verifying a notification found. */
    sealed interface Verification {

        /** Authentic and ours: the notification, in the channel-neutral form, and the raw text to store. */
        record Verified(Notification notification, String raw) implements Verification {
        }

        /**
         * Refused before anything looked at it.
         * @param kind why: not authentic (401), malformed (400), or authentic but addressed to another app,
         * merchant or seller (403)
         * @param outTradeNo the trade number it names, when it could be read (for the exchange log)
         */
        record Refused(String reason, Kind kind, @Nullable String outTradeNo) implements Verification {

            /** Refused as not authentic ({@code forged}) or as malformed. */
            public Refused(String reason, boolean forged) {
                this(reason, forged ? Kind.FORGED : Kind.MALFORMED, null);
            }

            /** Why a notification was refused. */
            public enum Kind {
                /** Its signature does not verify, it is stale, or it was replayed: answered 401. */
                FORGED,
                /** Authentic, but not a notification we can read or keep: answered 400. */
                MALFORMED,
                /** Authentic, but addressed to another app, merchant or seller: answered 403. */
                NOT_OURS
            }
        }
    }
}
