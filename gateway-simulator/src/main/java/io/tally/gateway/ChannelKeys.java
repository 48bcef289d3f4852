package io.tally.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.HashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.io.Resource;
import org.springframework.stereotype.Component;

import io.tally.channel.PemKeys;

/** The channel's own key pair and its merchants' public keys. */
@Component
class ChannelKeys {

    private static final Logger log = LoggerFactory.getLogger(ChannelKeys.class);

    private final PrivateKey privateKey;

    private final PublicKey publicKey;

    private final Map<String, PublicKey> merchants = new HashMap<>();

    ChannelKeys(GatewayProperties properties) {
        KeyPair pair = properties.privateKeyLocation() != null && properties.privateKeyLocation().exists()
                ? fromLocation(properties.privateKeyLocation()) : generatedOnce(properties.keyDir());
        this.privateKey = pair.getPrivate();
        this.publicKey = pair.getPublic();
        for (GatewayProperties.Merchant merchant : properties.merchants()) {
            String pem = merchant.publicKey() != null && !merchant.publicKey().isBlank() ? merchant.publicKey()
                    : read(merchant.publicKeyLocation());
            if (pem == null) {
                log.warn("Merchant {} has no public key configured: its requests will be refused", merchant.id());
                continue;
            }
            this.merchants.put(merchant.id(), PemKeys.publicKey(pem));
        }
    }

    PrivateKey privateKey() {
        return this.privateKey;
    }

    PublicKey publicKey() {
        return this.publicKey;
    }

    @Nullable PublicKey merchant(String merchantId) {
        return this.merchants.get(merchantId);
    }

    private static KeyPair fromLocation(Resource location) {
        PrivateKey key = PemKeys.privateKey(read(location));
        var rsa = (java.security.interfaces.RSAPrivateCrtKey) key;
        try {
            PublicKey pub = java.security.KeyFactory.getInstance("RSA")
                .generatePublic(new java.security.spec.RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
            return new KeyPair(pub, key);
        }
        catch (java.security.GeneralSecurityException ex) {
            throw new IllegalStateException("Cannot derive the public key of " + location, ex);
        }
    }

    private static KeyPair generatedOnce(Path dir) {
        Path privatePath = dir.resolve("channel-private.pem");
        Path publicPath = dir.resolve("channel-public.pem");
        try {
            if (Files.exists(privatePath) && Files.exists(publicPath)) {
                return new KeyPair(PemKeys.publicKey(Files.readString(publicPath)),
                        PemKeys.privateKey(Files.readString(privatePath)));
            }
            KeyPair pair = PemKeys.generate();
            Files.createDirectories(dir);
            Files.writeString(privatePath, PemKeys.pem(pair.getPrivate()));
            Files.writeString(publicPath, PemKeys.pem(pair.getPublic()));
            log.info("Generated the channel's key pair under {}; merchants verify callbacks with {}", dir, publicPath);
            return pair;
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot keep the channel's key pair under " + dir, ex);
        }
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
