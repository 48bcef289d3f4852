package io.tally.operator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

/**
 * What Spring Boot's default chain would have done for the paths the operator chain does not guard: every request
 * authenticated, with a form login and HTTP basic. The operator chain is a security chain, and any chain switches
 * Boot's default off; without this one, an application that enables the operator chain would find its other paths
 * open. Ordered before {@link OperatorSecurityAutoConfiguration}, so that it sees only the application's own chains:
 * it backs off when there is one, and with {@code tally.operator.other-paths=permitted}.
 */
@AutoConfiguration(before = ServletWebSecurityAutoConfiguration.class)
@ConditionalOnClass(SecurityFilterChain.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBooleanProperty("tally.operator.enabled")
@ConditionalOnProperty(name = "tally.operator.other-paths", havingValue = "authenticated", matchIfMissing = true)
public final class OtherPathsSecurityAutoConfiguration {

    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE - 5)
    @ConditionalOnMissingBean(SecurityFilterChain.class)
    SecurityFilterChain tallyOtherPathsSecurityFilterChain(HttpSecurity http) throws Exception {
        return http.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
            .formLogin(Customizer.withDefaults())
            .httpBasic(Customizer.withDefaults())
            .build();
    }
}
