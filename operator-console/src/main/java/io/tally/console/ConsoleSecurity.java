package io.tally.console;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.client.RestClient;

/**
 * Who may use the console: a signed-in operator (form login, a session cookie that is HTTP-only and SameSite=Strict).
 * Every request that changes something carries the session's CSRF token (Spring Security's, read by the pages from
 * {@code /console/session}), so another site cannot make the operator's browser act; the pages may not be framed
 * and load nothing from elsewhere (Content-Security-Policy).
 */
@Configuration(proxyBeanMethods = false)
class ConsoleSecurity {

    @Bean
    RestClient.Builder consoleRestClients(ConsoleProperties properties) {
        SimpleClientHttpRequestFactory requests = new SimpleClientHttpRequestFactory();
        requests.setConnectTimeout(properties.timeout());
        requests.setReadTimeout(properties.timeout());
        return RestClient.builder().requestFactory(requests);
    }

    @Bean
    SecurityFilterChain consoleSecurityFilterChain(HttpSecurity http, ConsoleProperties properties,
            RestClient.Builder clients) throws Exception {
        ServiceCheckedAuthentication authentication = new ServiceCheckedAuthentication(
                clients.clone().baseUrl(properties.first().toString()).build());
        return http.authenticationProvider(authentication)
            .authorizeHttpRequests(requests -> requests
                .requestMatchers("/login", "/console.css", "/actuator/health").permitAll()
                .anyRequest().hasRole("OPERATOR"))
            .formLogin(form -> form.loginPage("/login").defaultSuccessUrl("/", true).permitAll())
            .logout(logout -> logout.logoutUrl("/logout").logoutSuccessUrl("/login?signed-out"))
            .headers(headers -> headers
                .contentSecurityPolicy(csp -> csp.policyDirectives("default-src 'self'; script-src 'self'; "
                        + "style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                        + "form-action 'self'; base-uri 'none'; object-src 'none'"))
                .frameOptions(frame -> frame.deny()))
            .build();
    }
}
