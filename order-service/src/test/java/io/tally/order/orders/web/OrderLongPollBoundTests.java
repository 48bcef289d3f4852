package io.tally.order.orders.web;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.tally.order.orders.OrderChanges;
import io.tally.testing.ServiceTestProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The long poll is bounded: past {@code order.wait-max-waiters} waiting requests, one more is answered at once
 * with 503 and {@code Retry-After} (not a 304 that would make its client ask again at once), and every wait gives
 * its place back when it ends.
 */
@SpringBootTest(properties = { "spring.config.name=order-service", "order.wait-max=3s", "order.wait-max-waiters=1" },
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OrderLongPollBoundTests {

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        ServiceTestProperties.register(registry);
    }

    @LocalServerPort
    int port;

    @Autowired
    OrderChanges changes;

    private final HttpClient http = HttpClient.newHttpClient();

    private OrderRequests orders;

    @org.junit.jupiter.api.BeforeEach
    void requests() {
        this.orders = new OrderRequests(this.port);
    }

    @Test
    void oneWaitTooManyIsRefusedWith503AndEveryWaitGivesItsPlaceBack() throws Exception {
        String first = place();
        String second = place();
        String firstTag = tag(first);
        String secondTag = tag(second);

        CompletableFuture<HttpResponse<String>> waiting = this.http.sendAsync(longPoll(first, firstTag),
                HttpResponse.BodyHandlers.ofString());
        await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(3)).until(() -> this.changes.waiters() == 1);

        HttpResponse<String> refused = this.http.send(longPoll(second, secondTag), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(refused.headers().firstValue("Preference-Applied")).as("it did not wait").isEmpty();
        assertThat(refused.body()).contains("\"type\":\"https://tally.example/problems/too-many-waiting\"");

        assertThat(waiting.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(304);
        await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(3)).until(() -> this.changes.waiters() == 0);
        CompletableFuture<HttpResponse<String>> again = this.http.sendAsync(longPoll(second, secondTag),
                HttpResponse.BodyHandlers.ofString());
        assertThat(again.get(10, TimeUnit.SECONDS).statusCode()).as("its place was given back").isEqualTo(304);
        await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(3)).until(() -> this.changes.waiters() == 0);
    }

    private HttpRequest longPoll(String orderNo, String tag) {
        return HttpRequest.newBuilder(this.orders.uri("/api/orders/" + orderNo)).header("If-None-Match", tag)
            .header("Prefer", "wait=3").GET().build();
    }

    private String tag(String orderNo) throws Exception {
        return this.orders.tag(orderNo);
    }

    private String place() throws Exception {
        return this.orders.place();
    }
}
