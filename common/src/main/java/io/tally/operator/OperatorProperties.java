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
 */
@ConfigurationProperties("tally.operator")
public record OperatorProperties(@DefaultValue("/api/admin/**") List<String> paths,
        @DefaultValue("10") int maxFailedLogins, @DefaultValue("1m") java.time.Duration failedLoginWindow) {
}
