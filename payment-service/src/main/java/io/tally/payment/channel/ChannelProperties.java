package io.tally.payment.channel;

import java.net.URI;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.io.Resource;

/**
 * The simulator's own protocol, as the merchant sees it ({@code payment.channel.enabled}, on unless turned off).
 *
 * @param baseUrl where the channel's API answers
 * @param merchantId our merchant id at the channel
 * @param merchantPrivateKey our PKCS#8 PEM private key, which signs our requests; required
 * @param channelPublicKey the channel's X.509 PEM public key, which verifies its callbacks; required
 * @param notifyUrl where the channel sends callbacks
 * @param timeout connect and read timeout of a call to the channel
 * @param callbackMaxAge how far a callback's timestamp may be from our clock
 */
@ConfigurationProperties("payment.channel")
public record ChannelProperties(@DefaultValue("http://127.0.0.1:8090") URI baseUrl, @DefaultValue("M100") String merchantId,
        @Nullable Resource merchantPrivateKey, @Nullable Resource channelPublicKey,
        @DefaultValue("http://127.0.0.1:8083/api/payments/callbacks") String notifyUrl,
        @DefaultValue("5s") Duration timeout, @DefaultValue("5m") Duration callbackMaxAge) {
}
