package io.tally.console;

import java.util.List;

import org.springframework.http.HttpStatusCode;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;

/**
 * Signs an operator in with the services' own operator credentials: the name and password are those a service's
 * operator API accepts (asked of the first service, with a read that changes nothing). The console keeps no account
 * of its own, so there is nothing to keep in step.
 */
final class ServiceCheckedAuthentication implements AuthenticationProvider {

    private final RestClient first;

    ServiceCheckedAuthentication(RestClient first) {
        this.first = first;
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        String name = authentication.getName();
        Object credentials = authentication.getCredentials();
        if (name == null || name.isBlank() || name.length() > 100 || !(credentials instanceof String password)
                || password.isEmpty() || password.length() > 200) {
            throw new BadCredentialsException("Bad credentials");
        }
        Operator operator = new Operator(name, password);
        HttpStatusCode status;
        try {
            status = this.first.get()
                .uri("/api/admin/dead-letters/groups")
                .header("Authorization", operator.authorization())
                .exchange((request, response) -> response.getStatusCode());
        }
        catch (RestClientException ex) {
            throw new AuthenticationServiceException("The services cannot be reached to check the credentials", ex);
        }
        if (status.value() == 401 || status.value() == 403) {
            throw new BadCredentialsException("Bad credentials");
        }
        if (status.value() == 429) {
            throw new LockedException("Too many failed sign-ins from this address: wait a minute");
        }
        if (!status.is2xxSuccessful()) {
            throw new AuthenticationServiceException("The service answered " + status.value() + " to the check");
        }
        return UsernamePasswordAuthenticationToken.authenticated(operator, null,
                List.of(new SimpleGrantedAuthority("ROLE_OPERATOR")));
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
