package io.tally.payment.channel;

import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.channel.PemKeys;
import io.tally.channel.Signatures;
import io.tally.jdbc.SqlTime;

/**
 * Verifies a callback before anything else looks at it: the channel's signature over timestamp, nonce and body;
 * a timestamp within {@code payment.channel.callback-max-age}; and a nonce never accepted before (recorded in
 * its own transaction, kept twice as long as a timestamp is acceptable).
 */
@Component
@org.springframework.boot.autoconfigure.condition.ConditionalOnProperty(prefix = "payment.channel", name = "enabled",
        havingValue = "true", matchIfMissing = true)
class SimulatorCallbackVerifier {

    private final PublicKey channelKey;

    private final Clock clock;

    private final Duration maxAge;

    private final JdbcClient jdbc;

    private final TransactionTemplate transaction;

    SimulatorCallbackVerifier(ChannelProperties properties, Clock clock, JdbcClient jdbc, TransactionTemplate transaction) {
        this.channelKey = PemKeys.publicKey(SimulatorChannel.read(properties.channelPublicKey(),
                "payment.channel.channel-public-key"));
        this.clock = clock;
        this.maxAge = properties.callbackMaxAge();
        this.jdbc = jdbc;
        this.transaction = transaction;
    }

    /**
     * Forgets the nonces whose timestamps can no longer be accepted anyway (twice the allowed age, for clock
     * skew), off the callback path.
     */
    public void forgetOldNonces() {
        this.jdbc.sql("DELETE FROM callback_nonce WHERE seen_at < ?")
            .param(SqlTime.of(this.clock.instant().minus(this.maxAge.multipliedBy(2))))
            .update();
    }

    /**
     * Answers why the callback is refused, or {@code null} when it is authentic and fresh (its nonce is then
     * recorded).
     */
    @Nullable String refusal(@Nullable String timestamp, @Nullable String nonce, @Nullable String signature,
            String body) {
        if (timestamp == null || nonce == null || signature == null || nonce.length() > 64) {
            return "missing or malformed signature headers";
        }
        if (!Signatures.verify(Signatures.callbackText(timestamp, nonce, body), signature, this.channelKey)) {
            return "signature does not verify with the channel's key";
        }
        Instant now = this.clock.instant();
        String stale = Signatures.staleness(timestamp, now, this.maxAge);
        if (stale != null) {
            return stale;
        }
        try {
            this.transaction.executeWithoutResult(status -> this.jdbc
                .sql("INSERT INTO callback_nonce (nonce, seen_at) VALUES (?, ?)")
                .params(nonce, SqlTime.of(now))
                .update());
        }
        catch (DuplicateKeyException ex) {
            return "nonce replayed";
        }
        return null;
    }
}
