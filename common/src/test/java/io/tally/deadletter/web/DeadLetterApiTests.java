package io.tally.deadletter.web;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

import io.tally.fixtures.Happened;
import io.tally.fixtures.IntegrationTests;
import io.tally.outbox.Outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.httpBasic;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

@AutoConfigureMockMvc
class DeadLetterApiTests extends IntegrationTests {

    static final String OPERATOR = "operator";

    static final String PASSWORD = "test-only-operator-password";

    @Autowired
    MockMvc mvc;

    @Autowired
    Outbox outbox;

    @Autowired
    io.micrometer.core.instrument.MeterRegistry meters;

    @Test
    void operatorEndpointsRequireAnAuthenticatedOperator() throws Exception {
        this.mvc.perform(get("/api/admin/dead-letters")).andExpect(status().isUnauthorized());
        this.mvc.perform(get("/api/admin/dead-letters").with(httpBasic(OPERATOR, "wrong")))
            .andExpect(status().isUnauthorized());
        this.mvc.perform(post("/api/admin/dead-letters/dl-1/discard").contentType(MediaType.APPLICATION_JSON)
            .content("{\"reason\":\"x\"}")).andExpect(status().isUnauthorized());
        this.mvc.perform(get("/api/admin/dead-letters").with(httpBasic(OPERATOR, PASSWORD))).andExpect(status().isOk());
    }

    @Test
    void anOperatorListsInspectsReplaysAndDiscardsDeadLettersAndEveryActionIsRecorded() throws Exception {
        AtomicBoolean fixed = new AtomicBoolean();
        this.handler.behave((event, context) -> {
            if (!fixed.get()) {
                throw new io.tally.contract.ContractViolationException("unknown SKU " + event.aggregateId());
            }
        });
        String first = "api-" + newId();
        String second = "api-" + newId();
        String firstId = this.transaction.execute(s -> this.outbox.publish(first, new Happened(first, 0)));
        String secondId = this.transaction.execute(s -> this.outbox.publish(second, new Happened(second, 0)));
        eventually().until(() -> this.jdbc.queryForObject(
                "SELECT COUNT(*) FROM tally_dead_letter WHERE status = 'PARKED' AND message_id IN (?, ?)", Integer.class,
                firstId, secondId) == 2);
        String firstDl = "dl-" + this.jdbc.queryForObject("SELECT id FROM tally_dead_letter WHERE message_id = ?", Long.class, firstId);
        String secondDl = "dl-" + this.jdbc.queryForObject("SELECT id FROM tally_dead_letter WHERE message_id = ?", Long.class, secondId);

        this.mvc.perform(get("/api/admin/dead-letters").param("status", "PARKED").with(httpBasic(OPERATOR, PASSWORD)))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$[*].id", hasItem(firstDl)))
            .andExpect(jsonPath("$[*].messageId", hasItem(secondId)));
        this.mvc.perform(get("/api/admin/dead-letters/" + firstDl).with(httpBasic(OPERATOR, PASSWORD)))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$.summary.failureKind").value("PERMANENT"))
            .andExpect(jsonPath("$.summary.reason", containsString("unknown SKU")))
            .andExpect(jsonPath("$.body", containsString(first)));

        fixed.set(true);
        this.mvc.perform(post("/api/admin/dead-letters/" + firstDl + "/replay").with(httpBasic(OPERATOR, PASSWORD))
            .contentType(MediaType.APPLICATION_JSON).content("{\"reason\":\"SKU added\"}"))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$.status").value("REPLAYED"));
        eventually().until(() -> effectsOf(firstId) == 1);

        this.mvc.perform(post("/api/admin/dead-letters/" + secondDl + "/discard").with(httpBasic(OPERATOR, PASSWORD))
            .contentType(MediaType.APPLICATION_JSON).content("{}"))
            .andExpect(status().isBadRequest())
            .andExpect(jsonPath("$.type", containsString("reason-required")));
        this.mvc.perform(post("/api/admin/dead-letters/" + secondDl + "/discard").with(httpBasic(OPERATOR, PASSWORD))
            .contentType(MediaType.APPLICATION_JSON).content("{\"reason\":\"test order, never real\"}"))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$.status").value("DISCARDED"));
        this.mvc.perform(post("/api/admin/dead-letters/" + secondDl + "/replay").with(httpBasic(OPERATOR, PASSWORD)))
            .andExpect(status().isConflict());
        this.mvc.perform(get("/api/admin/dead-letters/dl-999999").with(httpBasic(OPERATOR, PASSWORD)))
            .andExpect(status().isNotFound());

        assertThat(effectsOf(secondId)).isZero();
        List<String> actions = this.jdbc.queryForList(
                "SELECT CONCAT(target, ' ', action, ' ', actor, ' ', reason) FROM tally_dead_letter_action WHERE target IN (?, ?) ORDER BY id",
                String.class, firstDl, secondDl);
        assertThat(actions).containsExactly(firstDl + " REPLAY operator SKU added",
                secondDl + " DISCARD operator test order, never real");
    }

    @Test
    void deadOutboxRowsShowInTheSameViewAndReplayWithTheirMessageId() throws Exception {
        // The relay's own way to DEAD is covered by OutboxDeadRowTests; here the row is set DEAD directly.
        String aggregate = "dead-" + newId();
        String messageId = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
        eventually().until(() -> effectsOf(messageId) == 1);
        this.jdbc.update("UPDATE tally_outbox SET status = 'DEAD', attempts = 12, last_error = 'returned' WHERE message_id = ?", messageId);
        long rowId = this.jdbc.queryForObject("SELECT id FROM tally_outbox WHERE message_id = ?", Long.class, messageId);

        this.mvc.perform(get("/api/admin/dead-letters").param("source", "outbox").with(httpBasic(OPERATOR, PASSWORD)))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$[*].id", hasItem("ob-" + rowId)));
        this.mvc.perform(post("/api/admin/dead-letters/ob-" + rowId + "/replay").with(httpBasic(OPERATOR, PASSWORD)))
            .andExpect(status().isOk());

        eventually().until(() -> "SENT".equals(this.jdbc.queryForObject("SELECT status FROM tally_outbox WHERE id = ?",
                String.class, rowId)));
        // delivered again with the same message id: the dedup table absorbs it
        eventually().until(() -> this.meters.get("tally.consumer.messages").tag("outcome", "duplicate").counter().count() == 1);
        assertThat(effectsOf(messageId)).isEqualTo(1);
        assertThat(this.handler.invocations()).hasSize(1);
        assertThat(this.jdbc.queryForList("SELECT CONCAT(action, ' ', actor) FROM tally_dead_letter_action WHERE target = ?",
                String.class, "ob-" + rowId)).containsExactly("REPLAY operator");
        assertThat(new String(this.jdbc.queryForObject("SELECT payload FROM tally_outbox WHERE id = ?", byte[].class, rowId),
                StandardCharsets.UTF_8)).contains(aggregate);
    }
}
