package io.tally.channel;

import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The wire protocol's signatures and staleness rules, as both sides rely on them: what a signature covers,
 * what breaks it, and which timestamps are refused.
 */
class SignaturesTests {

    private static KeyPair channel;

    private static KeyPair forger;

    @BeforeAll
    static void keys() {
        channel = PemKeys.generate();
        forger = PemKeys.generate();
    }

    @Test
    void aSignatureVerifiesWithTheSignersPublicKeyOnly() {
        String text = Signatures.callbackText("1764621000", "nonce-1", "{\"amount\":700}");
        String signature = Signatures.sign(text, channel.getPrivate());

        assertThat(Signatures.verify(text, signature, channel.getPublic())).isTrue();
        assertThat(Signatures.verify(text, signature, forger.getPublic())).isFalse();
        assertThat(Signatures.verify(text, Signatures.sign(text, forger.getPrivate()), channel.getPublic())).isFalse();
    }

    @Test
    void aCallbackSignatureCoversTimestampNonceAndEveryByteOfTheBody() {
        String signature = Signatures.sign(Signatures.callbackText("1764621000", "nonce-1", "{\"amount\":700}"),
                channel.getPrivate());

        assertThat(Signatures.verify(Signatures.callbackText("1764621001", "nonce-1", "{\"amount\":700}"), signature,
                channel.getPublic())).as("another timestamp").isFalse();
        assertThat(Signatures.verify(Signatures.callbackText("1764621000", "nonce-2", "{\"amount\":700}"), signature,
                channel.getPublic())).as("another nonce").isFalse();
        assertThat(Signatures.verify(Signatures.callbackText("1764621000", "nonce-1", "{\"amount\":701}"), signature,
                channel.getPublic())).as("a tampered amount").isFalse();
        assertThat(Signatures.verify(Signatures.callbackText("1764621000", "nonce-1", "{\"amount\":700} "), signature,
                channel.getPublic())).as("one more byte").isFalse();
    }

    @Test
    void aRequestSignatureCoversItsMethodAndPath() {
        String signature = Signatures.sign(Signatures.requestText("POST", "/gateway/refunds", "1764621000", "n", "{}"),
                channel.getPrivate());

        assertThat(Signatures.verify(Signatures.requestText("POST", "/gateway/refunds", "1764621000", "n", "{}"),
                signature, channel.getPublic())).isTrue();
        assertThat(Signatures.verify(Signatures.requestText("GET", "/gateway/refunds", "1764621000", "n", "{}"),
                signature, channel.getPublic())).as("another method").isFalse();
        assertThat(Signatures.verify(Signatures.requestText("POST", "/gateway/trades", "1764621000", "n", "{}"),
                signature, channel.getPublic())).as("another path").isFalse();
    }

    @Test
    void theCanonicalTextsAreTheDocumentedLinesEachEndedByANewline() {
        // Both sides build these texts independently (merchant and channel): the format is the contract.
        // Timestamp, nonce, method and path come from headers and the request line, which cannot hold a newline,
        // so no field can be shifted into the next; the body comes last.
        assertThat(Signatures.callbackText("1", "n", "body")).isEqualTo("1\nn\nbody\n");
        assertThat(Signatures.requestText("POST", "/p", "1", "n", "body")).isEqualTo("POST\n/p\n1\nn\nbody\n");
        assertThat(Signatures.requestText("GET", "/p", "1", "n", "")).isEqualTo("GET\n/p\n1\nn\n\n");
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "not base64 at all!", "AAAA", "////" })
    void aMalformedSignatureIsRefusedNotThrown(String signature) {
        assertThat(Signatures.verify("text\n", signature, channel.getPublic())).isFalse();
    }

    @Test
    void aTimestampWithinTheAllowedSkewIsFreshEitherSideOfNow() {
        Instant now = Instant.parse("2026-12-01T12:00:00Z");
        Duration skew = Duration.ofMinutes(5);

        assertThat(Signatures.staleness(Long.toString(now.getEpochSecond()), now, skew)).isNull();
        assertThat(Signatures.staleness(Long.toString(now.minus(skew).getEpochSecond()), now, skew)).isNull();
        assertThat(Signatures.staleness(Long.toString(now.plus(skew).getEpochSecond()), now, skew))
            .as("a sender whose clock runs ahead").isNull();
    }

    @Test
    void aTimestampBeyondTheSkewIsStaleInThePastAndInTheFuture() {
        Instant now = Instant.parse("2026-12-01T12:00:00Z");
        Duration skew = Duration.ofMinutes(5);

        assertThat(Signatures.staleness(Long.toString(now.minus(skew).minusSeconds(1).getEpochSecond()), now, skew))
            .startsWith("stale timestamp");
        assertThat(Signatures.staleness(Long.toString(now.plus(skew).plusSeconds(1).getEpochSecond()), now, skew))
            .startsWith("stale timestamp");
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "12:00", "1764621000.5", "99999999999999999999", "9223372036854775807", "-" })
    void aTimestampThatIsNotWholeEpochSecondsIsMalformed(String timestamp) {
        assertThat(Signatures.staleness(timestamp, Instant.parse("2026-12-01T12:00:00Z"), Duration.ofMinutes(5)))
            .isEqualTo("malformed timestamp");
    }

    @Test
    void keysSurviveTheirPemText() {
        String text = Signatures.callbackText("1", "n", "b");
        String signature = Signatures.sign(text, PemKeys.privateKey(PemKeys.pem(channel.getPrivate())));

        assertThat(Signatures.verify(text, signature, PemKeys.publicKey(PemKeys.pem(channel.getPublic())))).isTrue();
    }

    @Test
    void pemTextOfTheWrongKindIsRefusedWithAReason() {
        assertThatThrownBy(() -> PemKeys.privateKey(PemKeys.pem(channel.getPublic())))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("PRIVATE KEY");
        assertThatThrownBy(() -> PemKeys.publicKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("X.509");
    }
}
