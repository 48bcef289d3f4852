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

import org.springframework.core.io.Resource;
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
 * Calls the channel's API, every request signed by the merchant key (one interceptor, not each call). A failed
 * call throws, so the caller's transaction rolls back and its retry path runs; every call is safe to repeat.
 */
@Component
public class ChannelClient {

    private final RestClient http;

    private final ChannelProperties properties;

    ChannelClient(ChannelProperties properties, Clock clock, RestClient.Builder builder, ExchangeLog exchangeLog) {
        this.properties = properties;
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

    /** Creates the trade (idempotent by {@code outTradeNo}). */
    public Trade createTrade(String outTradeNo, long amount, String currency, Instant expireAt, String subject) {
        return this.http.post()
            .uri("/gateway/trades")
            .contentType(MediaType.APPLICATION_JSON)
            .body(new CreateTrade(this.properties.merchantId(), outTradeNo, amount, currency, expireAt,
                    this.properties.notifyUrl(), subject))
            .retrieve()
            .body(Trade.class);
    }

    /** The trade as the channel knows it, or {@code null} when it knows none. */
    public @Nullable Trade query(String outTradeNo) {
        try {
            return this.http.get().uri("/gateway/trades/{no}", outTradeNo).retrieve().body(Trade.class);
        }
        catch (HttpClientErrorException.NotFound ex) {
            return null;
        }
    }

    /** Closes the trade, or learns that it was already paid. A trade the channel does not know is closed. */
    public CloseResult close(String outTradeNo) {
        try {
            return this.http.post().uri("/gateway/trades/{no}/close", outTradeNo).retrieve().body(CloseResult.class);
        }
        catch (HttpClientErrorException.NotFound ex) {
            return new CloseResult(outTradeNo, io.tally.channel.ChannelMessages.CloseOutcome.CLOSED);
        }
    }

    /** Refunds (idempotent by {@code refundNo}: the same number never refunds twice). */
    public Refund refund(String outTradeNo, String refundNo, long amount, String reason) {
        return this.http.post()
            .uri("/gateway/refunds")
            .contentType(MediaType.APPLICATION_JSON)
            .body(new RefundRequest(this.properties.merchantId(), outTradeNo, refundNo, amount, reason))
            .retrieve()
            .body(Refund.class);
    }

    /** The channel's statement of a day, as CSV. */
    public String statement(java.time.LocalDate day) {
        return this.http.get().uri("/gateway/statements/{day}", day).retrieve().body(String.class);
    }

    /** Our merchant id. */
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
