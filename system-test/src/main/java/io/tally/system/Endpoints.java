package io.tally.system;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Where a running system answers: what the public API client and the invariant checks need, whether the system
 * runs as processes ({@link Cluster}), in one JVM (the flow tests) or under docker compose.
 */
public interface Endpoints {

    /** The base URL of a service, as in {@code http://127.0.0.1:8081}. */
    String url(Service service);

    /**
     * The payment channels payments are made through, in turn by order ({@link PublicApi#channelOf}); the
     * simulator's own protocol unless the system says otherwise.
     */
    default java.util.List<String> channels() {
        return java.util.List.of("simulator");
    }

    /** The password of the operator account. */
    String operatorPassword();

    /**
     * A connection to a service's own database, for the checks that read its tables (outbox, dead letters, the
     * exchange log); {@code null} when the checks must go through the services' APIs only (docker compose).
     */
    default @Nullable Connection connect(Service service) throws SQLException {
        return null;
    }

    /**
     * Messages waiting in each queue of this system, by queue name.
     * @throws IllegalStateException when the broker cannot be asked (a failed command is never "no messages")
     */
    default @Nullable Map<String, Long> queueDepths() {
        return null;
    }
}
