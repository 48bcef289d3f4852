package io.tally.outbox;

import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Ranks the outbox's {@code DEGRADED} health status between {@code OUT_OF_SERVICE} and {@code UP} (Boot would
 * otherwise rank an unknown status above {@code DOWN}) and answers it with HTTP 200, so a degraded outbox shows
 * on dashboards without failing liveness probes. Added last: a service's own settings win.
 */
public final class HealthStatusDefaults implements EnvironmentPostProcessor {

    static final String SOURCE = "tallyHealthStatusDefaults";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.getPropertySources().contains(SOURCE)) {
            environment.getPropertySources().addLast(new MapPropertySource(SOURCE, Map.of(
                    "management.endpoint.health.status.order", "DOWN,OUT_OF_SERVICE,DEGRADED,UP,UNKNOWN",
                    "management.endpoint.health.status.http-mapping.DEGRADED", "200")));
        }
    }
}
