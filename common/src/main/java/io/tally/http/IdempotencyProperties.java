package io.tally.http;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Idempotent HTTP requests.
 *
 * @param enabled whether {@code POST} requests with an {@code Idempotency-Key} header are made idempotent
 * @param retention how long a first response is kept and replayed
 * @param inFlightTimeout how long a first request may run before a repetition may take it over (a request
 * whose process died never completes)
 * @param purgeInterval how often expired keys are deleted
 * @param maxBodySize the largest body of an idempotent request (it is read whole to be compared); a larger one is
 * answered 413 and claims nothing
 */
@ConfigurationProperties("tally.idempotency")
public record IdempotencyProperties(@DefaultValue("false") boolean enabled, @DefaultValue("24h") Duration retention,
        @DefaultValue("30s") Duration inFlightTimeout, @DefaultValue("10m") Duration purgeInterval,
        @DefaultValue("64KB") org.springframework.util.unit.DataSize maxBodySize) {
}
