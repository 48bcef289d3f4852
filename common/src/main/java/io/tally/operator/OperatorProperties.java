package io.tally.operator;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which endpoints require an operator.
 *
 * @param paths the protected endpoints, each a path pattern optionally preceded by an HTTP method and a space
 * ({@code /api/admin/**}, {@code PUT /api/stock/**}); {@code /api/admin/**} is always protected
 */
@ConfigurationProperties("tally.operator")
public record OperatorProperties(@DefaultValue("/api/admin/**") List<String> paths) {
}
