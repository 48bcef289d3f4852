package io.tally.payment.channel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.core.io.Resource;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.HttpRequest;
import org.springframework.http.MediaType;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;

import io.tally.channel.ChannelHeaders;
import io.tally.channel.ChannelMessages.CloseResult;
import io.tally.channel.ChannelMessages.CreateTrade;
import io.tally.channel.ChannelMessages.Refund;
import io.tally.channel.ChannelMessages.RefundRequest;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.channel.PemKeys;
import io.tally.channel.Signatures;

/**
 * The simulator's own protocol ({@code payment.channel.*}): every request signed by the merchant key (one
 * interceptor, not each call), callbacks signed by the channel over timestamp, nonce and body. A failed call
 * throws, so the caller's transaction rolls back and its retry path runs; every call is safe to repeat.
 */
@Component
@ConditionalOnProperty(prefix = "payment.channel", name = "enabled", havingValue = "true", matchIfMissing = true)
public class SimulatorChannel implements PaymentChannel {

    /** This channel's name. */
    public static final String NAME = "simulator";

    private final RestClient http;

    private final ChannelProperties properties;

    private final SimulatorCallbackVerifier verifier;

    private final tools.jackson.databind.json.JsonMapper json;

    SimulatorChannel(ChannelProperties properties, Clock clock, RestClient.Builder builder, ExchangeLog exchangeLog,
            SimulatorCallbackVerifier verifier, tools.jackson.databind.json.JsonMapper json) {
        this.properties = properties;
        this.verifier = verifier;
        this.json = json;
        PrivateKey key = PemKeys.privateKey(read(properties.merchantPrivateKey(), "payment.channel.merchant-private-key"));
        JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(
                HttpClient.newBuilder().connectTimeout(properties.timeout()).build());
        factory.setReadTimeout(properties.timeout());
        this.http = builder.baseUrl(properties.baseUrl().toString())
            .requestFactory(factory)
            .requestInterceptor(new Signing(properties.merchantId(), key, clock))
            .requestInterceptor(new ExchangeLogging.ClientInterceptor(exchangeLog))
            .build();
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Creates the trade (idempotent by {@code outTradeNo}). */
    @Override
    public OpenedTrade createTrade(String outTradeNo, long amount, String currency, Instant expireAt, String subject) {
        Trade trade = this.http.post()
            .uri("/gateway/trades")
            .contentType(MediaType.APPLICATION_JSON)
            .body(new CreateTrade(this.properties.merchantId(), outTradeNo, amount, currency, expireAt,
                    this.properties.notifyUrl(), subject))
            .retrieve()
            .body(Trade.class);
        if (trade == null) {
            throw new org.springframework.web.client.HttpServerErrorException(HttpStatus.BAD_GATEWAY,
                    "The channel answered the trade's creation with no trade");
        }
        // the simulator's user pays at this address
        return new OpenedTrade(trade.tradeNo(), this.properties.baseUrl() + "/gateway/trades/" + outTradeNo + "/pay");
    }

    /** The trade as the channel knows it, or {@code null} when it knows none. */
    @Override
    public @Nullable Trade query(String outTradeNo) {
        try {
            return this.http.get().uri("/gateway/trades/{no}", outTradeNo).retrieve().body(Trade.class);
        }
        catch (HttpClientErrorException.NotFound ex) {
            return null;
        }
    }

    /** Closes the trade, or learns that it was already paid. A trade the channel does not know is closed. */
    @Override
    public CloseResult close(String outTradeNo, Instant expireAt) {
        try {
            return this.http.post().uri("/gateway/trades/{no}/close", outTradeNo).retrieve().body(CloseResult.class);
        }
        catch (HttpClientErrorException.NotFound ex) {
            return new CloseResult(outTradeNo, io.tally.channel.ChannelMessages.CloseOutcome.CLOSED);
        }
    }

    /** Refunds (idempotent by {@code refundNo}: the same number never refunds twice). */
    @Override
    public Refund refund(String outTradeNo, String refundNo, long amount, long tradeAmount, String currency,
            String reason) {
        return this.http.post()
            .uri("/gateway/refunds")
            .contentType(MediaType.APPLICATION_JSON)
            .body(new RefundRequest(this.properties.merchantId(), outTradeNo, refundNo, amount, reason))
            .retrieve()
            .body(Refund.class);
    }

    /**
     * The simulator's protocol has no refund query: a refund is finished when it is answered, and asking for the
     * same refund number again answers the same refund.
     */
    @Override
    public @Nullable Refund queryRefund(String outTradeNo, String refundNo) {
        return null;
    }

    /** The channel's statement of a day: CSV with a closing line of counts and totals. */
    @Override
    public Statement statement(java.time.LocalDate day) {
        String csv = this.http.get().uri("/gateway/statements/{day}", day).retrieve().body(String.class);
        return Statement.parse(csv == null ? "" : csv, day);
    }

    /**
     * Verifies the channel's signature over timestamp, nonce and body, the timestamp's age and the nonce's
     * novelty, then reads the notification and checks its fields are there and within what we keep.
     */
    @Override
    public Verification verify(CallbackRequest request) {
        String refusal = this.verifier.refusal(request.header(io.tally.channel.ChannelHeaders.TIMESTAMP),
                request.header(io.tally.channel.ChannelHeaders.NONCE),
                request.header(io.tally.channel.ChannelHeaders.SIGNATURE), request.body());
        if (refusal != null) {
            return new Verification.Refused(refusal, true);
        }
        io.tally.channel.ChannelMessages.Notification notification;
        try {
            notification = this.json.readValue(request.body(), io.tally.channel.ChannelMessages.Notification.class);
        }
        catch (tools.jackson.core.JacksonException ex) {
            return new Verification.Refused("unreadable notification: " + ex.getOriginalMessage(), false);
        }
        String malformed = malformed(notification);
        if (malformed != null) {
            return new Verification.Refused(malformed, false);
        }
        return new Verification.Verified(notification, request.body());
    }

    /** What makes a parsed notification unusable (a missing field, one longer than what we keep), or {@code null}. */
    private static @Nullable String malformed(io.tally.channel.ChannelMessages.Notification n) {
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

    @Override
    public ResponseEntity<String> acknowledge() {
        return ResponseEntity.ok(io.tally.channel.ChannelHeaders.CALLBACK_SUCCESS);
    }

    @Override
    public ResponseEntity<String> reject(HttpStatus status, String reason) {
        return ResponseEntity.status(status).body(reason);
    }

    /** Forgets the nonces of callbacks whose timestamps can no longer be accepted anyway. */
    public void forgetOldNonces() {
        this.verifier.forgetOldNonces();
    }

    /** Our merchant id. */
    @Override
    public String merchantId() {
        return this.properties.merchantId();
    }

    /**
     * Reads a PEM key from its configured location.
     * @param property the key's property, named in the error when it is not set or does not exist
     */
    public static String read(@Nullable Resource resource, String property) {
        if (resource == null || !resource.exists()) {
            throw new IllegalStateException("Set " + property + " to the location of a PEM key (for example "
                    + "file:config/test-keys/...); " + (resource == null ? "it is not set" : resource + " does not exist"));
        }
        try {
            return resource.getContentAsString(StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot read " + resource, ex);
        }
    }

    /** Signs each request: merchant, timestamp, nonce and the SHA256withRSA signature of its canonical text. */
    private record Signing(String merchantId, PrivateKey key, Clock clock) implements ClientHttpRequestInterceptor {

        @Override
        public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
                throws IOException {
            String timestamp = Long.toString(this.clock.instant().getEpochSecond());
            String nonce = UUID.randomUUID().toString();
            String text = Signatures.requestText(request.getMethod().name(), request.getURI().getRawPath(), timestamp,
                    nonce, new String(body, StandardCharsets.UTF_8));
            request.getHeaders().set(ChannelHeaders.MERCHANT, this.merchantId);
            request.getHeaders().set(ChannelHeaders.TIMESTAMP, timestamp);
            request.getHeaders().set(ChannelHeaders.NONCE, nonce);
            request.getHeaders().set(ChannelHeaders.SIGNATURE, Signatures.sign(text, this.key));
            return execution.execute(request, body);
        }
    }
}
