package io.tally.channel;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import org.jspecify.annotations.Nullable;

/**
 * SHA256withRSA signatures over a message's canonical text. A request to the channel signs
 * {@code METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY\n}; a callback from the channel signs {@code TIMESTAMP\nNONCE\nBODY\n}
 * (proxies may rewrite the merchant's callback path). Timestamp and nonce let the receiver reject stale and
 * replayed messages.
 */
public final class Signatures {

    private static final String ALGORITHM = "SHA256withRSA";

    private Signatures() {
    }

    /** The canonical text of a request to the channel. */
    public static String requestText(String method, String path, String timestamp, String nonce, String body) {
        return method + "\n" + path + "\n" + timestamp + "\n" + nonce + "\n" + body + "\n";
    }

    /** The canonical text of a callback from the channel. */
    public static String callbackText(String timestamp, String nonce, String body) {
        return timestamp + "\n" + nonce + "\n" + body + "\n";
    }

    /**
     * Why a message's timestamp header is refused, or {@code null} when it is within {@code maxSkew} of {@code now}.
     * @param timestamp seconds since the epoch, as sent
     */
    public static @Nullable String staleness(String timestamp, Instant now, Duration maxSkew) {
        Instant signedAt;
        try {
            signedAt = Instant.ofEpochSecond(Long.parseLong(timestamp));
        }
        catch (NumberFormatException | java.time.DateTimeException ex) {
            return "malformed timestamp"; // not a number, or beyond the instants Java can represent
        }
        return Duration.between(signedAt, now).abs().compareTo(maxSkew) > 0 ? "stale timestamp " + signedAt : null;
    }

    /** Signs the text, answering the base64 signature. */
    public static String sign(String text, PrivateKey key) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initSign(key);
            signature.update(text.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(signature.sign());
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("Cannot sign with " + ALGORITHM, ex);
        }
    }

    /** Whether the base64 signature is the key's over the text; {@code false} for a malformed signature. */
    public static boolean verify(String text, String base64Signature, PublicKey key) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initVerify(key);
            signature.update(text.getBytes(StandardCharsets.UTF_8));
            return signature.verify(Base64.getDecoder().decode(base64Signature));
        }
        catch (IllegalArgumentException | java.security.SignatureException ex) {
            return false;
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("Cannot verify with " + ALGORITHM, ex);
        }
    }
}
