package io.tally.operator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Requires an authenticated operator (role {@code OPERATOR}, HTTP basic) on {@code /api/admin/**}; every
 * other path is left to the service. No credentials are built in: configure them per deployment, for example
 * with {@code spring.security.user.name}, {@code spring.security.user.password} and
 * {@code spring.security.user.roles=OPERATOR}, or supply a {@code UserDetailsService}.
 */
@AutoConfiguration(before = ServletWebSecurityAutoConfiguration.class)
@ConditionalOnClass(SecurityFilterChain.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public final class OperatorSecurityAutoConfiguration {

    /** The role operator endpoints require. */
    public static final String ROLE = "OPERATOR";

    @Bean
    @Order(10)
    @ConditionalOnMissingBean(name = "tallyOperatorSecurityFilterChain")
    SecurityFilterChain tallyOperatorSecurityFilterChain(HttpSecurity http) throws Exception {
        return http.securityMatcher("/api/admin/**")
            .authorizeHttpRequests(requests -> requests.anyRequest().hasRole(ROLE))
            .httpBasic(Customizer.withDefaults())
            .csrf(csrf -> csrf.disable())
            .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
            .build();
    }
}
