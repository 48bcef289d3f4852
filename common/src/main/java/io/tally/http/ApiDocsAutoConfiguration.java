package io.tally.http;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.models.GroupedOpenApi;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.http.server.PathContainer;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

import io.tally.operator.OperatorProperties;

/**
 * The HTTP contract as OpenAPI, when springdoc is on the class path: two groups, {@code public} (what clients
 * call) and {@code operator} (what needs the operator's credentials: {@code /api/admin/**} and
 * {@code tally.operator.paths}), at springdoc's usual paths ({@code /v3/api-docs/public},
 * {@code /v3/api-docs/operator}, {@code /swagger-ui.html}). Errors are RFC 9457 problem details whose {@code type}
 * is stable under {@value Problems#BASE}. Each bean backs off when the application defines its own; none is
 * defined unless the operator chain is enabled ({@code tally.operator.enabled}), which guards the operator group.
 */
@AutoConfiguration
@ConditionalOnClass(GroupedOpenApi.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBooleanProperty("tally.operator.enabled")
@EnableConfigurationProperties(OperatorProperties.class)
public final class ApiDocsAutoConfiguration {

    static final String OPERATOR_SCHEME = "operator";

    @Bean
    @ConditionalOnMissingBean
    OpenAPI tallyOpenApi(Environment environment) {
        String application = environment.getProperty("spring.application.name", "service");
        return new OpenAPI()
            .info(new Info().title(application)
                .version(environment.getProperty("tally.api.version", "0.1.0"))
                .description("The HTTP contract of " + application + ". Every error is an RFC 9457 problem "
                        + "(application/problem+json) whose type is stable under " + Problems.BASE
                        + ". Write requests that create something take an Idempotency-Key. The events this service "
                        + "publishes and consumes are described in /contracts/asyncapi.yaml.")
                .license(new License().name("Apache-2.0").url("https://www.apache.org/licenses/LICENSE-2.0")))
            .components(new Components().addSecuritySchemes(OPERATOR_SCHEME,
                    new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("basic")
                        .description("The operator's credentials (spring.security.user)")));
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyPublicApi")
    GroupedOpenApi tallyPublicApi(OperatorProperties operator) {
        return group("public", "Public API", operator, false);
    }

    @Bean
    @ConditionalOnMissingBean(name = "tallyOperatorApi")
    GroupedOpenApi tallyOperatorApi(OperatorProperties operator) {
        return group("operator", "Operator API", operator, true);
    }

    /** The operations of {@code /api/**} that need the operator ({@code operatorOnes}) or those that do not. */
    private static GroupedOpenApi group(String name, String displayName, OperatorProperties operator,
            boolean operatorOnes) {
        OperatorOperations operations = new OperatorOperations(operator.paths());
        return GroupedOpenApi.builder()
            .group(name)
            .displayName(displayName)
            .pathsToMatch("/api/**")
            .addOpenApiCustomizer(api -> operations.keep(api, operatorOnes))
            .build();
    }

    /**
     * Which operations need the operator, by the same entries as the operator's security chain: a path pattern,
     * optionally preceded by an HTTP method ({@code PUT /api/stock/**}), matched against an operation's path
     * template.
     */
    static final class OperatorOperations {

        private record Entry(String method, PathPattern pattern) {
        }

        private final List<Entry> entries = new ArrayList<>();

        OperatorOperations(List<String> paths) {
            List<String> all = new ArrayList<>(List.of("/api/admin/**"));
            all.addAll(paths);
            for (String path : all) {
                String[] parts = path.trim().split("\\s+", 2);
                String method = parts.length == 2 ? parts[0].toUpperCase(Locale.ROOT) : "";
                this.entries.add(new Entry(method, PathPatternParser.defaultInstance.parse(parts[parts.length - 1])));
            }
        }

        boolean operator(String method, String template) {
            PathContainer path = PathContainer.parsePath(template);
            return this.entries.stream()
                .anyMatch(e -> (e.method().isEmpty() || e.method().equals(method)) && e.pattern().matches(path));
        }

        /** Keeps the operations that need the operator ({@code true}) or those that do not. */
        void keep(OpenAPI api, boolean operatorOnes) {
            if (api.getPaths() == null) {
                return;
            }
            Iterator<Map.Entry<String, PathItem>> paths = api.getPaths().entrySet().iterator();
            while (paths.hasNext()) {
                Map.Entry<String, PathItem> entry = paths.next();
                PathItem item = entry.getValue();
                for (Map.Entry<PathItem.HttpMethod, Operation> operation : new ArrayList<>(item.readOperationsMap().entrySet())) {
                    boolean needsOperator = operator(operation.getKey().name(), entry.getKey());
                    if (needsOperator != operatorOnes) {
                        item.operation(operation.getKey(), null);
                    }
                    else if (needsOperator) {
                        operation.getValue().addSecurityItem(new SecurityRequirement().addList(OPERATOR_SCHEME));
                    }
                }
                if (item.readOperations().isEmpty()) {
                    paths.remove();
                }
            }
        }
    }
}
