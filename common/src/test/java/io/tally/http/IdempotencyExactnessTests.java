package io.tally.http;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.tally.fixtures.IntegrationTests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * Idempotent HTTP is exact: a request taken over after its in-flight timeout can neither overwrite nor free its
 * successor's claim; a committed request whose response could not be stored answers its effect when repeated,
 * instead of running again; keys compare byte for byte; bodies are bounded.
 */
@AutoConfigureMockMvc
@Import(IdempotencyExactnessTests.Gadgets.class)
@TestPropertySource(properties = "tally.idempotency.max-body-size=1KB")
class IdempotencyExactnessTests extends IntegrationTests {

    @Autowired
    MockMvc mvc;

    @Autowired
    Gadgets gadgets;

    @AfterEach
    void clearScript() {
        this.gadgets.script.clear();
    }

    @Test
    void aRequestThatLostItsClaimCannotOverwriteTheResponseOfTheRequestThatTookItOver() throws Exception {
        String key = newId();
        Step first = this.gadgets.hold(false);
        Thread firstRun = run(key, "{\"name\":\"g\"}");
        first.awaitEntered();
        this.clock.advance(Duration.ofSeconds(31));
        Step second = this.gadgets.hold(false);
        AtomicReference<MvcResult> secondAnswer = new AtomicReference<>();
        Thread secondRun = run(key, "{\"name\":\"g\"}", secondAnswer);
        second.awaitEntered();

        first.proceed(); // the first one completes while its successor still runs
        firstRun.join(10_000);
        second.proceed();
        secondRun.join(10_000);

        MvcResult replay = this.mvc.perform(post("/gadgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"g\"}"))
            .andExpect(status().isCreated())
            .andExpect(header().string("Idempotent-Replayed", "true"))
            .andReturn();
        assertThat(replay.getResponse().getContentAsString()).as("the stored response is the current claim's")
            .isEqualTo(secondAnswer.get().getResponse().getContentAsString());
    }

    @Test
    void aRequestThatLostItsClaimCannotFreeTheClaimOfTheRequestThatTookItOver() throws Exception {
        String key = newId();
        int runsBefore = this.gadgets.runs.get();
        Step first = this.gadgets.hold(true);
        Thread firstRun = run(key, "{\"name\":\"h\"}");
        first.awaitEntered();
        this.clock.advance(Duration.ofSeconds(31));
        Step second = this.gadgets.hold(false);
        Thread secondRun = run(key, "{\"name\":\"h\"}");
        second.awaitEntered();

        first.proceed(); // fails: a request that ends in an exception releases its key, but this one is not its own
        firstRun.join(10_000);
        this.mvc.perform(post("/gadgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"h\"}"))
            .andExpect(status().isConflict())
            .andExpect(jsonPath("$.type", containsString("in-flight")));
        second.proceed();
        secondRun.join(10_000);
        assertThat(this.gadgets.runs.get() - runsBefore).as("runs: the failed first and its successor, no third")
            .isEqualTo(2);
    }

    @Test
    void aCommittedRequestWhoseResponseCouldNotBeStoredAnswersItsEffectWhenRepeated() throws Exception {
        String key = newId();
        int createdBefore = this.gadgets.created.get();
        this.jdbc.execute("""
                CREATE TRIGGER test_refuse_responses BEFORE UPDATE ON tally_idempotent_request FOR EACH ROW
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'responses cannot be stored'""");
        MvcResult first;
        try {
            first = this.mvc.perform(post("/gadgets").header("Idempotency-Key", key)
                .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"kept\"}"))
                .andExpect(status().isCreated()) // the work was done: the client is told so
                .andReturn();
        }
        finally {
            this.jdbc.execute("DROP TRIGGER test_refuse_responses");
        }
        this.clock.advance(Duration.ofSeconds(31));

        this.mvc.perform(post("/gadgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"kept\"}"))
            .andExpect(status().isCreated())
            .andExpect(jsonPath("$.id").value(com.jayway.jsonpath.JsonPath.<Integer>read(
                    first.getResponse().getContentAsString(), "$.id")));
        assertThat(this.gadgets.created.get() - createdBefore)
            .as("gadgets made: the repetition found the first one by its key").isEqualTo(1);
    }

    @Test
    void anEffectFoundByItsKeyForAnotherRequestIsRefusedWith422() throws Exception {
        String key = newId();
        this.mvc.perform(post("/gadgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"one\"}")).andExpect(status().isCreated());
        // the stored response is gone (its retention passed), the effect is not
        this.jdbc.update("DELETE FROM tally_idempotent_request WHERE idempotency_key = ?", key);

        this.mvc.perform(post("/gadgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"another\"}"))
            .andExpect(status().isUnprocessableContent())
            .andExpect(jsonPath("$.type", containsString("idempotency-key-reused")));
    }

    @Test
    void keysThatDifferOnlyInLetterCaseAreDifferentKeys() throws Exception {
        String key = "Key-" + newId();
        MvcResult upper = this.mvc.perform(post("/gadgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"a\"}")).andExpect(status().isCreated()).andReturn();
        MvcResult lower = this.mvc.perform(post("/gadgets").header("Idempotency-Key", key.toLowerCase())
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"b\"}"))
            .andExpect(status().isCreated())
            .andExpect(header().doesNotExist("Idempotent-Replayed"))
            .andReturn();
        assertThat(lower.getResponse().getContentAsString()).isNotEqualTo(upper.getResponse().getContentAsString());
    }

    @Test
    void aBodyAboveTheLimitIsRefusedWith413AndClaimsNothing() throws Exception {
        String key = newId();
        int runsBefore = this.gadgets.runs.get();
        this.mvc.perform(post("/gadgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"" + "x".repeat(2000) + "\"}"))
            .andExpect(status().isPayloadTooLarge())
            .andExpect(jsonPath("$.type", containsString("request-too-large")));
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_idempotent_request WHERE idempotency_key = ?",
                Integer.class, key)).isZero();
        assertThat(this.gadgets.runs.get()).isEqualTo(runsBefore);
    }

    private Thread run(String key, String body) {
        return run(key, body, new AtomicReference<>());
    }

    private Thread run(String key, String body, AtomicReference<MvcResult> answer) {
        return Thread.ofPlatform().start(() -> {
            try {
                answer.set(this.mvc.perform(post("/gadgets").header("Idempotency-Key", key)
                    .contentType(MediaType.APPLICATION_JSON).content(body)).andReturn());
            }
            catch (Exception ex) {
                // a run made to fail
            }
        });
    }

    /** What the next call does: waits to be let go, then goes on or fails. */
    static final class Step {

        final CountDownLatch entered = new CountDownLatch(1);

        final CountDownLatch proceed = new CountDownLatch(1);

        final boolean explode;

        Step(boolean explode) {
            this.explode = explode;
        }

        void awaitEntered() throws InterruptedException {
            assertThat(this.entered.await(10, TimeUnit.SECONDS)).as("the request reached the controller").isTrue();
        }

        void proceed() {
            this.proceed.countDown();
        }
    }

    /** Makes gadgets; the effect of a request is kept under its idempotency key, with its request hash. */
    @TestConfiguration
    @RestController
    static class Gadgets {

        final BlockingQueue<Step> script = new LinkedBlockingQueue<>();

        final AtomicInteger runs = new AtomicInteger();

        final AtomicInteger created = new AtomicInteger();

        final AtomicInteger answers = new AtomicInteger();

        final Map<String, Gadget> byKey = new ConcurrentHashMap<>();

        final Map<String, String> hashes = new ConcurrentHashMap<>();

        Step hold(boolean explode) {
            Step step = new Step(explode);
            this.script.add(step);
            return step;
        }

        @PostMapping("/gadgets")
        @IdempotencyKeyRequired
        ResponseEntity<Gadget> create(@RequestBody Order gadget) throws InterruptedException {
            this.runs.incrementAndGet();
            Step step = this.script.poll();
            if (step != null) {
                step.entered.countDown();
                step.proceed.await(10, TimeUnit.SECONDS);
                if (step.explode) {
                    throw new IllegalStateException("the gadget press jammed");
                }
            }
            IdempotentRequest request = IdempotentRequest.current().orElseThrow();
            Gadget existing = this.byKey.get(request.key());
            if (existing != null) {
                request.requireSameRequest(this.hashes.get(request.key()));
                return ResponseEntity.status(HttpStatus.CREATED)
                    .body(new Gadget(existing.id(), existing.name(), this.answers.incrementAndGet()));
            }
            Gadget made = new Gadget(this.created.incrementAndGet(), gadget.name(), this.answers.incrementAndGet());
            this.byKey.put(request.key(), made);
            this.hashes.put(request.key(), request.requestHash());
            return ResponseEntity.status(HttpStatus.CREATED).body(made);
        }

        /** What a request asks for. */
        record Order(String name) {
        }

        /** A gadget; {@code answer} numbers the responses, so that two answers of one gadget differ. */
        record Gadget(int id, String name, int answer) {
        }
    }
}
