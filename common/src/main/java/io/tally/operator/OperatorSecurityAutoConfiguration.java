package io.tally.operator;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.www.BasicAuthenticationEntryPoint;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Requires an authenticated operator (role {@code OPERATOR}, HTTP basic) on {@code /api/admin/**}, on every
 * actuator endpoint but {@code health}, and on the endpoints listed in {@code tally.operator.paths}; every other
 * path is left to the service. Failed logins are counted per client address and, past
 * {@code tally.operator.max-failed-logins}, answered 429 without checking ({@link LoginThrottle}). No credentials are built in: configure them per deployment, for example
 * with {@code spring.security.user.name}, {@code spring.security.user.password} and
 * {@code spring.security.user.roles=OPERATOR}, or supply a {@code UserDetailsService}.
 * <p>
 * Installed only with {@code tally.operator.enabled=true}. Since any security chain switches Spring Boot's default
 * one off, the paths this chain does not guard are then authenticated like Boot's default would have them
 * ({@link OtherPathsSecurityAutoConfiguration}), unless the application has a chain of its own or sets
 * {@code tally.operator.other-paths=permitted}.
 */
@AutoConfiguration(before = ServletWebSecurityAutoConfiguration.class, after = OtherPathsSecurityAutoConfiguration.class)
@ConditionalOnClass(SecurityFilterChain.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBooleanProperty("tally.operator.enabled")
@EnableConfigurationProperties(OperatorProperties.class)
public final class OperatorSecurityAutoConfiguration {

    /** The role operator endpoints require. */
    public static final String ROLE = "OPERATOR";

    @Bean
    @Order(10)
    @ConditionalOnMissingBean(name = "tallyOperatorSecurityFilterChain")
    SecurityFilterChain tallyOperatorSecurityFilterChain(HttpSecurity http, OperatorProperties properties,
            org.springframework.beans.factory.ObjectProvider<io.micrometer.core.instrument.MeterRegistry> meters)
            throws Exception {
        io.micrometer.core.instrument.MeterRegistry registry = meters.getIfAvailable();
        Runnable refused = registry == null ? () -> {
        } : io.micrometer.core.instrument.Counter.builder("tally.operator.logins.throttled")
            .description("Requests with credentials answered 429 without checking them (too many failed logins)")
            .register(registry)::increment;
        LoginThrottle throttle = new LoginThrottle(properties.maxFailedLogins(), properties.failedLoginWindow(), refused);
        BasicAuthenticationEntryPoint basic = new BasicAuthenticationEntryPoint();
        basic.setRealmName("tally");
        basic.afterPropertiesSet();
        AuthenticationEntryPoint entryPoint = (request, response, ex) -> {
            if (ex instanceof BadCredentialsException) {
                throttle.failed(request);
            }
            basic.commence(request, response, ex);
        };
        return http.securityMatcher(matcher(properties.paths()))
            .authorizeHttpRequests(requests -> requests
                .requestMatchers(PathPatternRequestMatcher.withDefaults().matcher("/actuator/health"),
                        PathPatternRequestMatcher.withDefaults().matcher("/actuator/health/**"))
                .permitAll()
                .anyRequest().hasRole(ROLE))
            .httpBasic(basicAuth -> basicAuth.authenticationEntryPoint(entryPoint))
            .exceptionHandling(exceptions -> exceptions.authenticationEntryPoint(entryPoint))
            .addFilterBefore(throttle, BasicAuthenticationFilter.class)
            .csrf(csrf -> csrf.disable())
            .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
            .build();
    }

    static RequestMatcher matcher(List<String> paths) {
        Set<String> all = new LinkedHashSet<>();
        all.add("/api/admin/**");
        all.add("/actuator/**"); // health stays public (permitted above); metrics, info, the rest need an operator
        all.addAll(paths);
        List<RequestMatcher> matchers = new ArrayList<>();
        for (String entry : all) {
            String[] parts = entry.trim().split("\\s+", 2);
            if (parts.length == 2) {
                matchers.add(PathPatternRequestMatcher.withDefaults()
                    .matcher(HttpMethod.valueOf(parts[0].toUpperCase(Locale.ROOT)), parts[1]));
            }
            else {
                matchers.add(PathPatternRequestMatcher.withDefaults().matcher(parts[0]));
            }
        }
        return new OrRequestMatcher(matchers);
    }
}
