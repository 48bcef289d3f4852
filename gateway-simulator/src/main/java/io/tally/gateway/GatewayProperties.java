package io.tally.gateway;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.io.Resource;

/**
 * The simulated channel.
 *
 * @param privateKeyLocation the channel's PKCS#8 PEM private key; when absent, a key pair is generated under
 * {@code keyDir} at first start and reused afterwards
 * @param keyDir where a generated key pair is kept
 * @param merchants the merchants allowed to create trades, each with its public key
 * @param callbackRetryDelays the delays between sends of a callback that the merchant did not answer with
 * {@code success}; after the last, the channel gives up (as real channels do after about a day)
 * @param callbackTimeout how long one callback send waits for the merchant's answer
 * @param maxClockSkew how far a merchant request's timestamp may be from the channel's clock
 * @param callbackSenders how many callbacks are sent at once (each waits for the merchant's answer): a real
 * channel sends many at a time, so a busy merchant is not starved of the callbacks of payments made in time
 * @param statementZone the zone whose midnight cuts the statements' days (Chinese channels cut at midnight
 * Asia/Shanghai); the merchant's reconciliation must use the same
 */
@ConfigurationProperties("gateway")
public record GatewayProperties(@Nullable Resource privateKeyLocation, @DefaultValue("./var/gateway") Path keyDir,
        @DefaultValue List<Merchant> merchants,
        @DefaultValue({ "2s", "10s", "30s", "2m", "10m", "30m", "1h", "2h", "6h", "15h" }) List<Duration> callbackRetryDelays,
        @DefaultValue("5s") Duration callbackTimeout, @DefaultValue("5m") Duration maxClockSkew,
        @DefaultValue("UTC") java.time.ZoneId statementZone, @DefaultValue("32") int callbackSenders) {

    /**
     * A merchant of the channel.
     * @param id the merchant id
     * @param publicKeyLocation its X.509 PEM public key
     * @param publicKey its X.509 PEM public key as text, instead of a location
     */
    public record Merchant(String id, @Nullable Resource publicKeyLocation, @Nullable String publicKey) {
    }
}
