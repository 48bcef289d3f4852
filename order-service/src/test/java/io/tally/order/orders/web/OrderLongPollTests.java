package io.tally.order.orders.web;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.tally.order.orders.OrderChanges;
import io.tally.testing.ServiceTestProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client waits for its order's next state by a bounded long poll ({@code If-None-Match} with
 * {@code Prefer: wait=N}) instead of polling: answered as soon as the order changes here, within a recheck when it
 * changes through another instance, and with 304 when the (bounded) wait ends without a change.
 */
@SpringBootTest(properties = { "spring.config.name=order-service", "order.wait-max=6s", "order.wait-recheck=3s" },
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OrderLongPollTests {

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        ServiceTestProperties.register(registry);
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    OrderChanges changes;

    @Test
    void aWaitingClientIsAnsweredAsSoonAsItsOrderChangesHere() throws Exception {
        String orderNo = place();
        HttpResponse<String> first = get(orderNo, null, null);
        String tag = first.headers().firstValue("ETag").orElseThrow();
        assertThat(first.body()).contains("\"status\":\"PENDING_STOCK\"");

        int before = this.changes.waiters();
        long started = System.nanoTime();
        CompletableFuture<HttpResponse<String>> waiting = getAsync(orderNo, tag, "wait=6");
        await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(3)).until(() -> this.changes.waiters() > before);
        assertThat(waiting).as("answered before the order changed").isNotDone();
        HttpResponse<String> cancelled = send(HttpRequest.newBuilder(uri("/api/orders/" + orderNo + "/cancel"))
            .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(cancelled.statusCode()).isEqualTo(200);

        HttpResponse<String> answer = waiting.get(10, TimeUnit.SECONDS);
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).contains("\"status\":\"CANCELLED\"");
        assertThat(answer.headers().firstValue("ETag")).hasValueSatisfying(now -> assertThat(now).isNotEqualTo(tag));
        assertThat(answer.headers().firstValue("Preference-Applied")).hasValue("wait=6");
        assertThat(millis).as("woken by the change's signal, before the first recheck (3 s) could find it")
            .isLessThan(2_900);
        await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(3)).until(() -> this.changes.waiters() == before);
    }

    @Test
    void aChangeCommittedElsewhereIsFoundByTheRecheck() throws Exception {
        String orderNo = place();
        String tag = get(orderNo, null, null).headers().firstValue("ETag").orElseThrow();

        int before = this.changes.waiters();
        CompletableFuture<HttpResponse<String>> waiting = getAsync(orderNo, tag, "wait=6");
        await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(3)).until(() -> this.changes.waiters() > before);
        // another instance's commit: straight to the table, so no signal in this process
        assertThat(this.jdbc.update("UPDATE customer_order SET payment_alert = 'elsewhere' WHERE order_no = ?", orderNo))
            .isEqualTo(1);

        HttpResponse<String> answer = waiting.get(10, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).contains("\"paymentAlert\":\"elsewhere\"");
    }

    @Test
    void aWaitWithoutAChangeEndsWith304AndTheSameTagAndIsBounded() throws Exception {
        String orderNo = place();
        String tag = get(orderNo, null, null).headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> unchanged = getAsync(orderNo, tag, "wait=1").get(10, TimeUnit.SECONDS);
        assertThat(unchanged.statusCode()).isEqualTo(304);
        assertThat(unchanged.headers().firstValue("ETag")).hasValue(tag);
        assertThat(unchanged.headers().firstValue("Preference-Applied")).hasValue("wait=1");

        long started = System.nanoTime();
        HttpResponse<String> bounded = getAsync(orderNo, tag, "wait=86400").get(30, TimeUnit.SECONDS);
        assertThat(bounded.statusCode()).isEqualTo(304);
        assertThat(bounded.headers().firstValue("Preference-Applied")).as("the wait asked for, cut to order.wait-max")
            .hasValue("wait=6");
        assertThat((System.nanoTime() - started) / 1_000_000).isBetween(5_900L, 20_000L);
    }

    @Test
    void theOrderAsPlacedCarriesItsVersionToWaitFrom() throws Exception {
        HttpResponse<String> placed = orders().placed();
        String orderNo = OrderRequests.orderNo(placed);

        assertThat(placed.headers().firstValue("ETag")).as("the version placed")
            .isEqualTo(get(orderNo, null, null).headers().firstValue("ETag"));
    }

    @Test
    void withoutAWaitTheTagIsAnsweredAtOnce() throws Exception {
        String orderNo = place();
        String tag = get(orderNo, null, null).headers().firstValue("ETag").orElseThrow();

        assertThat(get(orderNo, tag, null).statusCode()).as("the version held").isEqualTo(304);
        assertThat(get(orderNo, "W/" + tag, null).statusCode()).as("compared weakly").isEqualTo(304);
        assertThat(get(orderNo, "\"stale\", " + tag, null).statusCode()).as("one of a list").isEqualTo(304);
        HttpResponse<String> stale = get(orderNo, "\"stale\"", "wait=6");
        assertThat(stale.statusCode()).as("an older version: the current one at once").isEqualTo(200);
        assertThat(stale.headers().firstValue("ETag")).hasValue(tag);
        assertThat(get(orderNo, tag, "wait=soon").statusCode()).as("a wait that is no number: none").isEqualTo(304);
        assertThat(get(orderNo, tag, "respond-async").statusCode()).as("no wait preference").isEqualTo(304);
        assertThat(get("O-NONE", "\"x\"", "wait=6").statusCode()).as("no such order").isEqualTo(404);
    }

    private OrderRequests requests;

    @org.junit.jupiter.api.BeforeEach
    void requests() {
        this.requests = new OrderRequests(this.port);
    }

    private OrderRequests orders() {
        return this.requests;
    }

    private String place() throws Exception {
        return orders().place();
    }

    private HttpResponse<String> get(String orderNo, String ifNoneMatch, String prefer) throws Exception {
        return orders().get(orderNo, ifNoneMatch, prefer);
    }

    private CompletableFuture<HttpResponse<String>> getAsync(String orderNo, String ifNoneMatch, String prefer) {
        return orders().getAsync(orderNo, ifNoneMatch, prefer);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return orders().send(request);
    }

    private URI uri(String path) {
        return orders().uri(path);
    }
}
