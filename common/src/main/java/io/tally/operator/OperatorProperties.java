package io.tally.operator;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which endpoints require an operator.
 *
 * @param paths the protected endpoints, each a path pattern optionally preceded by an HTTP method and a space
 * ({@code /api/admin/**}, {@code PUT /api/stock/**}); {@code /api/admin/**} and the actuator endpoints other than
 * {@code health} are always protected
 * @param maxFailedLogins failed logins from one client address after which its credentials are not checked
 * (answered 429) until {@code failedLoginWindow} has passed since its first failure
 * @param failedLoginWindow how long failed logins are counted
 * @param enabled whether the operator's security chain (and the operator endpoints it guards: dead letters, the API
 * docs' operator group) is installed; off unless the application asks, so that adding the library changes nothing
 * about its security or web layer
 * @param otherPaths what the chain does for every path it does not guard, when the application has no security
 * chain of its own: {@code authenticated} (as Spring Boot's default chain, which the operator chain replaces) or
 * {@code permitted} (left open: an API whose clients are anonymous by design)
 */
@ConfigurationProperties("tally.operator")
public record OperatorProperties(@DefaultValue("/api/admin/**") List<String> paths,
        @DefaultValue("10") int maxFailedLogins, @DefaultValue("1m") java.time.Duration failedLoginWindow,
        @DefaultValue("false") boolean enabled, @DefaultValue("authenticated") OtherPaths otherPaths) {

    /** What happens to the paths the operator chain does not guard. */
    public enum OtherPaths {

        /** Every other request needs an authenticated user, as with Spring Boot's default chain. */
        AUTHENTICATED,

        /** Every other request is left open. */
        PERMITTED
    }
}
