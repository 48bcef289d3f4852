package io.tally.http;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
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

@AutoConfigureMockMvc
@Import(IdempotentRequestTests.Widgets.class)
class IdempotentRequestTests extends IntegrationTests {

    @Autowired
    MockMvc mvc;

    @Autowired
    Widgets widgets;

    @Test
    void theSameKeyWithTheSameBodyReturnsTheFirstResponseWithoutRunningAgain() throws Exception {
        String key = newId();
        MvcResult first = this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"a\"}"))
            .andExpect(status().isCreated())
            .andReturn();
        int created = this.widgets.created.get();

        this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"a\"}"))
            .andExpect(status().isCreated())
            .andExpect(header().string("Idempotent-Replayed", "true"))
            .andExpect(header().string("Location", first.getResponse().getHeader("Location")))
            .andExpect(result -> assertThat(result.getResponse().getContentAsString())
                .isEqualTo(first.getResponse().getContentAsString()));
        assertThat(this.widgets.created.get()).isEqualTo(created);
    }

    @Test
    void theSameKeyWithAnotherBodyIsRejectedWith422() throws Exception {
        String key = newId();
        this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"a\"}")).andExpect(status().isCreated());
        this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"b\"}"))
            .andExpect(status().isUnprocessableContent())
            .andExpect(jsonPath("$.type", containsString("idempotency-key-reused")));
    }

    @Test
    void aRepetitionWhileTheFirstRunsIsRejectedWith409() throws Exception {
        String key = newId();
        this.widgets.hold = new CountDownLatch(1);
        this.widgets.entered = new CountDownLatch(1);
        Thread first = Thread.ofPlatform().start(() -> {
            try {
                this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
                    .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"slow\"}"));
            }
            catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        });
        try {
            assertThat(this.widgets.entered.await(10, TimeUnit.SECONDS)).isTrue();
            this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
                .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"slow\"}"))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.type", containsString("in-flight")));
        }
        finally {
            this.widgets.hold.countDown();
            first.join(10_000);
            this.widgets.hold = null;
        }
        this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"slow\"}"))
            .andExpect(status().isCreated())
            .andExpect(header().string("Idempotent-Replayed", "true"));
    }

    @Test
    void anErrorAnswerIsStoredAndReplayedLikeAnyOtherWithoutRunningAgain() throws Exception {
        String key = newId();
        this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"\"}"))
            .andExpect(status().isBadRequest());
        int created = this.widgets.created.get();
        int refused = this.widgets.refused.get();

        this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"\"}"))
            .andExpect(status().isBadRequest())
            .andExpect(header().string("Idempotent-Replayed", "true"));
        assertThat(this.widgets.refused.get()).as("not run again").isEqualTo(refused);
        assertThat(this.widgets.created.get()).isEqualTo(created);
    }

    @Test
    void aRequestThatEndsInAnUnhandledExceptionReleasesItsKeySoThatARetryRuns() throws Exception {
        String key = newId();
        this.widgets.explode = true;
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> this.mvc.perform(post("/widgets")
                .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"boom\"}")))
                .hasRootCauseInstanceOf(IllegalStateException.class);
        }
        finally {
            this.widgets.explode = false;
        }
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM tally_idempotent_request WHERE idempotency_key = ?",
                Integer.class, key)).as("the key was released").isZero();
        int created = this.widgets.created.get();

        this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
            .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"boom\"}"))
            .andExpect(status().isCreated())
            .andExpect(header().doesNotExist("Idempotent-Replayed"));
        assertThat(this.widgets.created.get()).as("the retry ran").isEqualTo(created + 1);
    }

    @Test
    void aFirstRequestStillInFlightAfterTheTimeoutIsTakenOverByARepetition() throws Exception {
        String key = newId();
        this.widgets.hold = new CountDownLatch(1);
        this.widgets.entered = new CountDownLatch(1);
        Thread first = Thread.ofPlatform().start(() -> {
            try {
                this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
                    .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"stuck\"}"));
            }
            catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        });
        try {
            assertThat(this.widgets.entered.await(10, TimeUnit.SECONDS)).isTrue();
            int created = this.widgets.created.get();
            this.widgets.hold = null; // the repetition runs through
            // as if the first request's process had died: its claim outlives the in-flight timeout (30 s)
            this.clock.advance(java.time.Duration.ofSeconds(31));

            this.mvc.perform(post("/widgets").header("Idempotency-Key", key)
                .contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"stuck\"}"))
                .andExpect(status().isCreated())
                .andExpect(header().doesNotExist("Idempotent-Replayed"));
            assertThat(this.widgets.created.get()).as("the repetition took the key over and ran").isEqualTo(created + 1);
        }
        finally {
            this.widgets.release();
            first.join(10_000);
        }
    }

    @Test
    void anEndpointThatRequiresAKeyRefusesARequestWithoutOne() throws Exception {
        this.mvc.perform(post("/widgets").contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"a\"}"))
            .andExpect(status().isBadRequest())
            .andExpect(jsonPath("$.type", containsString("idempotency-key-required")));
    }

    @TestConfiguration
    @RestController
    static class Widgets {

        final AtomicInteger created = new AtomicInteger();

        final AtomicInteger refused = new AtomicInteger();

        volatile CountDownLatch hold;

        volatile CountDownLatch entered;

        volatile boolean explode;

        private volatile CountDownLatch held;

        /** Lets a held request go on. */
        void release() {
            CountDownLatch latch = this.held;
            if (latch != null) {
                latch.countDown();
            }
        }

        @PostMapping("/widgets")
        @IdempotencyKeyRequired
        ResponseEntity<Widget> create(@RequestBody Widget widget) throws InterruptedException {
            if (this.explode) {
                throw new IllegalStateException("the widget factory is on fire");
            }
            if (widget.name().isEmpty()) {
                this.refused.incrementAndGet();
                return ResponseEntity.badRequest().build();
            }
            CountDownLatch hold = this.hold;
            if (hold != null) {
                this.held = hold;
                this.entered.countDown();
                hold.await(10, TimeUnit.SECONDS);
            }
            int id = this.created.incrementAndGet();
            return ResponseEntity.status(HttpStatus.CREATED)
                .header("Location", "/widgets/" + id)
                .body(new Widget(widget.name() + "-" + id));
        }

        record Widget(String name) {
        }
    }
}
