package io.tally.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.io.Resource;

import io.tally.channel.PemKeys;

/**
 * Alipay's open API as the simulator speaks it ({@code /alipay/...}), in public-key mode: "Alipay" signs its answers,
 * bill links and notifications with one RSA key, and verifies each app's requests with that app's public key.
 *
 * @param privateKeyLocation "Alipay's" PKCS#8 PEM private key; when absent, the channel's own key
 * ({@code gateway.private-key-location}, or the generated one) signs, so an app's "Alipay public key" is then the
 * channel's public key ({@code GET /alipay/public-key} answers it either way)
 * @param apps the Alipay apps allowed to call, each with its seller (the merchant's PID) and public key
 * @param notifyRetryDelays the delays between sends of a notification the merchant did not answer {@code success};
 * Alipay's own schedule by default (4m, 10m, 10m, 1h, 2h, 6h, 15h: eight sends within 25 hours)
 * @param billBaseUrl the absolute base of bill download links ({@code http://host:port}, before
 * {@code /alipay/bills/...}); when absent, built from the request that asked for the link
 */
@ConfigurationProperties("gateway.alipay")
record AlipayProperties(@Nullable Resource privateKeyLocation, @DefaultValue List<App> apps,
        @DefaultValue({ "4m", "10m", "10m", "1h", "2h", "6h", "15h" }) List<Duration> notifyRetryDelays,
        @Nullable String billBaseUrl) {

    /**
     * An Alipay app (应用) of a merchant.
     * @param appId its app id, which trades are created under
     * @param sellerId its seller's user id (the merchant's 2088... PID), named in notifications and bills
     * @param publicKeyLocation the app's X.509 PEM public key (the 应用公钥 uploaded to Alipay)
     * @param publicKey the same as text, instead of a location
     */
    record App(String appId, String sellerId, @Nullable Resource publicKeyLocation, @Nullable String publicKey) {
    }

    /** The app of this id, or {@code null} when none is configured. */
    @Nullable App app(String appId) {
        for (App app : this.apps) {
            if (app.appId().equals(appId)) {
                return app;
            }
        }
        return null;
    }

    /**
     * "Alipay's" key pair: the configured private key with its public key, or the channel's own pair.
     * @throws IllegalStateException when a location is configured but does not hold an RSA private key
     */
    KeyPair keyPair(ChannelKeys channelKeys) {
        if (this.privateKeyLocation == null) {
            return new KeyPair(channelKeys.publicKey(), channelKeys.privateKey());
        }
        String pem = read(this.privateKeyLocation);
        if (pem == null) {
            throw new IllegalStateException("gateway.alipay.private-key-location " + this.privateKeyLocation
                    + " does not exist");
        }
        PrivateKey key = PemKeys.privateKey(pem);
        if (!(key instanceof RSAPrivateCrtKey rsa)) {
            throw new IllegalStateException("gateway.alipay.private-key-location does not hold an RSA CRT private key");
        }
        try {
            PublicKey publicKey = KeyFactory.getInstance("RSA")
                .generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
            return new KeyPair(publicKey, key);
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("Cannot derive the public key of " + this.privateKeyLocation, ex);
        }
    }

    /** The app's public key, or {@code null} when none is configured (its requests are then refused). */
    static @Nullable PublicKey publicKey(App app) {
        String pem = app.publicKey() != null && !app.publicKey().isBlank() ? app.publicKey()
                : read(app.publicKeyLocation());
        return pem == null ? null : PemKeys.publicKey(pem);
    }

    private static @Nullable String read(@Nullable Resource resource) {
        if (resource == null || !resource.exists()) {
            return null;
        }
        try {
            return resource.getContentAsString(StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot read " + resource, ex);
        }
    }
}
