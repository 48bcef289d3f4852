package io.tally.deadletter.web;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.httpBasic;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * After an outage there may be thousands of dead letters: an operator sees them grouped by what failed, counts
 * what a filter matches (dry run), then replays or discards all of it at once, each audited, the whole too.
 */
@AutoConfigureMockMvc
class DeadLetterBulkTests extends IntegrationTests {

    static final String OPERATOR = "operator";

    static final String PASSWORD = "test-only-operator-password";

    @Autowired
    MockMvc mvc;

    @Autowired
    Outbox outbox;

    @Test
    void anOperatorGroupsCountsAndReplaysOrDiscardsDeadLettersByFilterEachAndTheWholeAudited() throws Exception {
        AtomicBoolean fixed = new AtomicBoolean();
        this.handler.behave((event, context) -> {
            if (event.aggregateId().startsWith("sku-") && !fixed.get()) {
                throw new io.tally.contract.ContractViolationException("unknown SKU in " + event.aggregateId());
            }
        });
        List<String> unknownSku = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String aggregate = "sku-" + i + "-" + newId();
            unknownSku.add(this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0))));
        }
        List<String> garbage = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String id = newId();
            publishRaw(id, "not json at all".getBytes(StandardCharsets.UTF_8));
            garbage.add(id);
        }
        eventually().until(() -> this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_dead_letter WHERE status = 'PARKED'",
                Integer.class) == 17);

        this.mvc.perform(get("/api/admin/dead-letters/groups").param("status", "PARKED").with(httpBasic(OPERATOR, PASSWORD)))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$.length()").value(org.hamcrest.Matchers.greaterThanOrEqualTo(2)))
            .andExpect(jsonPath("$[0].exceptionClass", containsString("ContractViolationException")))
            .andExpect(jsonPath("$[0].count").value(12))
            .andExpect(jsonPath("$[0].reasonPattern", containsString("unknown SKU in #")))
            .andExpect(jsonPath("$[1].count").value(5));
        this.mvc.perform(get("/api/admin/dead-letters").param("source", "consumer").param("status", "PARKED").param("limit", "5")
            .with(httpBasic(OPERATOR, PASSWORD)))
            .andExpect(status().isOk())
            .andExpect(header().string("X-Total-Count", "17"))
            .andExpect(jsonPath("$.length()").value(5));

        String unknownSkuFilter = "{\"source\":\"consumer\",\"reasonContains\":\"unknown SKU\",\"reason\":\"SKUs added\"";
        this.mvc.perform(post("/api/admin/dead-letters/replay").with(httpBasic(OPERATOR, PASSWORD))
            .contentType(MediaType.APPLICATION_JSON).content(unknownSkuFilter + ",\"dryRun\":true}"))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$.matched").value(12))
            .andExpect(jsonPath("$.done").value(0));
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_dead_letter WHERE status = 'PARKED'", Integer.class))
            .as("a dry run changes nothing").isEqualTo(17);
        this.mvc.perform(post("/api/admin/dead-letters/replay").with(httpBasic(OPERATOR, PASSWORD))
            .contentType(MediaType.APPLICATION_JSON).content(unknownSkuFilter + ",\"expected\":11}"))
            .andExpect(status().isConflict())
            .andExpect(jsonPath("$.type", containsString("count-changed")));

        fixed.set(true);
        String bulk = com.jayway.jsonpath.JsonPath.read(this.mvc.perform(post("/api/admin/dead-letters/replay")
            .with(httpBasic(OPERATOR, PASSWORD)).contentType(MediaType.APPLICATION_JSON)
            .content(unknownSkuFilter + ",\"expected\":12}"))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$.done").value(12))
            .andReturn().getResponse().getContentAsString(), "$.bulkId");
        eventually().until(() -> unknownSku.stream().allMatch(id -> effectsOf(id) == 1));

        this.mvc.perform(post("/api/admin/dead-letters/discard").with(httpBasic(OPERATOR, PASSWORD))
            .contentType(MediaType.APPLICATION_JSON).content("{\"status\":\"PARKED\"}"))
            .andExpect(status().isBadRequest());
        this.mvc.perform(post("/api/admin/dead-letters/discard").with(httpBasic(OPERATOR, PASSWORD))
            .contentType(MediaType.APPLICATION_JSON).content("{\"status\":\"PARKED\",\"reason\":\"garbage from a test tool\"}"))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$.matched").value(5))
            .andExpect(jsonPath("$.done").value(5));

        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_dead_letter WHERE status = 'DISCARDED'", Integer.class))
            .isEqualTo(5);
        assertThat(this.jdbc.queryForObject(
                "SELECT COUNT(*) FROM tally_dead_letter_action WHERE action = 'REPLAY' AND actor = 'operator'"
                        + " AND target LIKE 'dl-%'", Integer.class))
            .as("each replay audited on its own").isEqualTo(12);
        this.mvc.perform(get("/api/admin/dead-letters/actions/" + bulk).with(httpBasic(OPERATOR, PASSWORD)))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$[0].action").value("BULK_REPLAY"))
            .andExpect(jsonPath("$[0].actor").value("operator"))
            .andExpect(jsonPath("$[0].reason", containsString("12 of 12")));
        assertThat(garbage).allSatisfy(id -> assertThat(effectsOf(id)).isZero());
    }

    @Test
    void deadOutboxRowsAreCountedReplayedAndDiscardedByFilterAndTimeWindow() throws Exception {
        // The relay's own ways to DEAD are covered by OutboxBadRowTests and OutboxDeadRowTests; here 20 delivered rows
        // are set DEAD directly, 15 as the broker returned them (a missing binding), 5 as timed out.
        java.time.Instant before = java.time.Instant.now().minusSeconds(60);
        List<String> returned = new ArrayList<>();
        List<String> timedOut = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String aggregate = "row-" + i + "-" + newId();
            String id = this.transaction.execute(s -> this.outbox.publish(aggregate, new Happened(aggregate, 0)));
            (i < 15 ? returned : timedOut).add(id);
        }
        eventually().until(() -> returned.stream().allMatch(id -> effectsOf(id) == 1)
                && timedOut.stream().allMatch(id -> effectsOf(id) == 1));
        for (String id : returned) {
            this.jdbc.update("UPDATE tally_outbox SET status = 'DEAD', attempts = 12, last_error = 'returned: 312 NO_ROUTE'"
                    + " WHERE message_id = ?", id);
        }
        for (String id : timedOut) {
            this.jdbc.update("UPDATE tally_outbox SET status = 'DEAD', attempts = 12, last_error = 'no confirm within 5s'"
                    + " WHERE message_id = ?", id);
        }

        this.mvc.perform(get("/api/admin/dead-letters").param("source", "outbox").param("limit", "3")
            .with(httpBasic(OPERATOR, PASSWORD)))
            .andExpect(status().isOk())
            .andExpect(header().string("X-Total-Count", "20"))
            .andExpect(jsonPath("$.length()").value(3));
        this.mvc.perform(post("/api/admin/dead-letters/replay").with(httpBasic(OPERATOR, PASSWORD))
            .contentType(MediaType.APPLICATION_JSON)
            .content("{\"source\":\"outbox\",\"to\":\"" + before + "\",\"dryRun\":true}"))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$.matched").value(0));
        String replayed = com.jayway.jsonpath.JsonPath.read(this.mvc.perform(post("/api/admin/dead-letters/replay")
            .with(httpBasic(OPERATOR, PASSWORD)).contentType(MediaType.APPLICATION_JSON)
            .content("{\"source\":\"outbox\",\"from\":\"" + before + "\",\"reasonContains\":\"NO_ROUTE\","
                    + "\"reason\":\"binding restored\",\"expected\":15}"))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$.matched").value(15))
            .andExpect(jsonPath("$.done").value(15))
            .andReturn().getResponse().getContentAsString(), "$.bulkId");
        eventually().until(() -> this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_outbox WHERE status = 'SENT'"
                + " AND message_id IN (" + String.join(",", returned.stream().map(id -> "'" + id + "'").toList()) + ")",
                Integer.class) == 15);
        String discarded = com.jayway.jsonpath.JsonPath.read(this.mvc.perform(post("/api/admin/dead-letters/discard")
            .with(httpBasic(OPERATOR, PASSWORD)).contentType(MediaType.APPLICATION_JSON)
            .content("{\"source\":\"outbox\",\"reason\":\"superseded\",\"expected\":5}"))
            .andExpect(status().isOk())
            .andExpect(jsonPath("$.done").value(5))
            .andReturn().getResponse().getContentAsString(), "$.bulkId");

        assertThat(timedOut).allSatisfy(id -> assertThat(this.jdbc.queryForObject(
                "SELECT status FROM tally_outbox WHERE message_id = ?", String.class, id)).isEqualTo("DISCARDED"));
        assertThat(returned).allSatisfy(id -> assertThat(effectsOf(id)).as("a replay is absorbed by the dedup table")
            .isEqualTo(1));
        assertThat(this.jdbc.queryForList("SELECT CONCAT(action, ' ', actor, ' ', reason) FROM tally_dead_letter_action"
                + " WHERE target IN (?, ?) ORDER BY id", String.class, replayed, discarded))
            .satisfiesExactly(r -> assertThat(r).startsWith("BULK_REPLAY operator 15 of 15").endsWith("binding restored"),
                    d -> assertThat(d).startsWith("BULK_DISCARD operator 5 of 5").endsWith("superseded"));
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_dead_letter_action WHERE target LIKE 'ob-%'"
                + " AND (reason LIKE ? OR reason LIKE ?)", Integer.class, "[" + replayed + "]%", "[" + discarded + "]%"))
            .as("each row's own entry names its bulk action").isEqualTo(20);
    }
}
