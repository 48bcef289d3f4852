package io.tally.operator;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Requires an authenticated operator (role {@code OPERATOR}, HTTP basic) on {@code /api/admin/**} and the
 * endpoints listed in {@code tally.operator.paths}; every other path is left to the service. No credentials are built in: configure them per deployment, for example
 * with {@code spring.security.user.name}, {@code spring.security.user.password} and
 * {@code spring.security.user.roles=OPERATOR}, or supply a {@code UserDetailsService}.
 */
@AutoConfiguration(before = ServletWebSecurityAutoConfiguration.class)
@ConditionalOnClass(SecurityFilterChain.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@EnableConfigurationProperties(OperatorProperties.class)
public final class OperatorSecurityAutoConfiguration {

    /** The role operator endpoints require. */
    public static final String ROLE = "OPERATOR";

    @Bean
    @Order(10)
    @ConditionalOnMissingBean(name = "tallyOperatorSecurityFilterChain")
    SecurityFilterChain tallyOperatorSecurityFilterChain(HttpSecurity http, OperatorProperties properties)
            throws Exception {
        return http.securityMatcher(matcher(properties.paths()))
            .authorizeHttpRequests(requests -> requests.anyRequest().hasRole(ROLE))
            .httpBasic(Customizer.withDefaults())
            .csrf(csrf -> csrf.disable())
            .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
            .build();
    }

    static RequestMatcher matcher(List<String> paths) {
        Set<String> all = new LinkedHashSet<>();
        all.add("/api/admin/**");
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
