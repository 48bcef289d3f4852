package io.tally.outbox;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.MockMvc;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The outbox health as a load balancer sees it: an old backlog makes the service DEGRADED, which still answers
 * HTTP 200 (the service works; its outbox needs attention), and it is UP again once the backlog is published.
 */
@AutoConfigureMockMvc
@TestPropertySource(properties = "tally.outbox.health-max-pending-age=60s")
class OutboxHealthTests extends IntegrationTests {

    @Autowired
    MockMvc mvc;

    @Autowired
    Outbox outbox;

    @Autowired
    OutboxRelay relay;

    @Autowired
    OutboxMonitor monitor;

    @Test
    void aBacklogOlderThanTheLimitIsDegradedWithHttp200AndUpOncePublished() throws Exception {
        this.mvc.perform(get("/actuator/health")).andExpect(status().isOk()).andExpect(jsonPath("$.status").value("UP"));
        this.relay.stop();
        String aggregate = "backlog-" + newId();
        String messageId;
        try {
            messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
            this.clock.advance(Duration.ofSeconds(61));
            this.monitor.refresh();

            this.mvc.perform(get("/actuator/health"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.status").value("DEGRADED"));
        }
        finally {
            this.relay.start();
        }
        eventually().until(() -> effectsOf(messageId) == 1);
        this.monitor.refresh();
        this.mvc.perform(get("/actuator/health")).andExpect(status().isOk()).andExpect(jsonPath("$.status").value("UP"));
    }
}
