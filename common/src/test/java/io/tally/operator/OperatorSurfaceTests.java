package io.tally.operator;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.RequestPostProcessor;

import io.tally.fixtures.IntegrationTests;

import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.httpBasic;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * What the operator chain leaves open and what it guards: health is public, metrics (and every other actuator
 * endpoint) need an operator; wrong passwords from one address are answered 429 without being checked once there
 * have been too many, while other addresses are not affected.
 */
@AutoConfigureMockMvc
@TestPropertySource(properties = { "management.endpoints.web.exposure.include=health,metrics,info",
        "tally.operator.max-failed-logins=3", "tally.operator.failed-login-window=10m" })
class OperatorSurfaceTests extends IntegrationTests {

    static final String PASSWORD = "test-only-operator-password";

    @Autowired
    MockMvc mvc;

    @Test
    void healthIsPublicAndEveryOtherActuatorEndpointNeedsAnOperator() throws Exception {
        this.mvc.perform(get("/actuator/health")).andExpect(status().isOk());
        this.mvc.perform(get("/actuator/metrics")).andExpect(status().isUnauthorized());
        this.mvc.perform(get("/actuator/info")).andExpect(status().isUnauthorized());
        this.mvc.perform(get("/actuator/metrics").with(httpBasic("operator", PASSWORD))).andExpect(status().isOk());
    }

    @Test
    void tooManyWrongPasswordsFromOneAddressAreAnsweredWithoutCheckingAndOtherAddressesGoOn() throws Exception {
        for (int i = 0; i < 3; i++) {
            this.mvc.perform(get("/api/admin/dead-letters").with(from("203.0.113.7")).with(httpBasic("operator", "wrong-" + i)))
                .andExpect(status().isUnauthorized());
        }
        // the fourth, even with the right password, is not checked
        this.mvc.perform(get("/api/admin/dead-letters").with(from("203.0.113.7")).with(httpBasic("operator", PASSWORD)))
            .andExpect(status().isTooManyRequests())
            .andExpect(header().string("Retry-After", "600"))
            .andExpect(jsonPath("$.type").value("https://tally.example/problems/too-many-failed-logins"));
        this.mvc.perform(get("/api/admin/dead-letters").with(from("203.0.113.8")).with(httpBasic("operator", PASSWORD)))
            .andExpect(status().isOk());
        this.mvc.perform(get("/actuator/health").with(from("203.0.113.7"))).andExpect(status().isOk());
    }

    private static RequestPostProcessor from(String address) {
        return request -> {
            request.setRemoteAddr(address);
            return request;
        };
    }
}
