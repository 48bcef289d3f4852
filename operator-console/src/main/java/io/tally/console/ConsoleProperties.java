package io.tally.console;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The console.
 *
 * @param services the base address of each service the console works with, by name ({@code order},
 * {@code inventory}, {@code payment}); the operator signs in against the first
 * @param timeout how long a call to a service may take
 */
@ConfigurationProperties("console")
public record ConsoleProperties(Map<String, URI> services, @DefaultValue("10s") Duration timeout) {

    public ConsoleProperties {
        if (services == null || services.isEmpty()) {
            throw new IllegalArgumentException("console.services must name at least one service");
        }
        services = new LinkedHashMap<>(services);
        for (String name : services.keySet()) {
            if (!name.matches("[a-z][a-z0-9-]{0,30}")) {
                throw new IllegalArgumentException("console.services: '" + name + "' is not a service name");
            }
        }
    }

    /** The service the operator's credentials are checked against. */
    URI first() {
        return this.services.values().iterator().next();
    }
}
