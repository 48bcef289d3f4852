package io.tally.payment.payments;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.tally.events.Events.OrderAwaitingPayment;
import io.tally.testing.ServiceTestProperties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * payment-service at its edge: bad input gets a problem-details 400 of a stable type and stores nothing; a
 * channel that cannot be reached gets a 503 with Retry-After, and the order stays payable (the channel here is a
 * port nothing listens on).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.config.name=payment-service", "payment.reconciliation.enabled=false",
        "payment.channel.base-url=http://127.0.0.1:9", "payment.channel.timeout=2s", "payment.payable.max-wait=3s" })
class PaymentEdgeTests {

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        ServiceTestProperties.register(registry);
        registry.add("payment.channel.merchant-private-key", () -> "file:../config/test-keys/merchant-private.pem");
        registry.add("payment.channel.channel-public-key", () -> "file:../config/test-keys/channel-public.pem");
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    PaymentService payments;

    private final HttpClient http = HttpClient.newHttpClient();

    static Stream<Arguments> badRequests() {
        return Stream.of(Arguments.of("not JSON", "POST", "/api/payments", "{\"orderNo\":", "malformed-request"),
                Arguments.of("an order number as a number", "POST", "/api/payments", "{\"orderNo\":12}", "malformed-request"),
                Arguments.of("no order number", "POST", "/api/payments", "{}", "invalid-request"),
                Arguments.of("an order number longer than its column", "POST", "/api/payments",
                        "{\"orderNo\":\"" + "O".repeat(300) + "\"}", "invalid-request"),
                Arguments.of("a payment number longer than its column", "GET", "/api/payments/" + "P".repeat(300), null,
                        "invalid-request"),
                Arguments.of("a reconciliation of a day before the earliest", "POST", "/api/admin/reconciliations",
                        "{\"date\":\"0001-01-01\"}", "date-out-of-range"),
                Arguments.of("a reconciliation of a day to come", "POST", "/api/admin/reconciliations",
                        "{\"date\":\"9999-12-31\"}", "date-out-of-range"),
                Arguments.of("a reconciliation of no date", "POST", "/api/admin/reconciliations", "{\"date\":\"soon\"}",
                        "malformed-request"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badInputIsRefusedWithAProblemOfItsTypeAndNothingIsStored(String what, String method, String path,
            String body, String type) throws Exception {
        long payments = count("payment");
        long runs = count("reconciliation_run");

        HttpResponse<String> response = send(method, path, body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains("\"type\":\"https://tally.example/problems/" + type + "\"");
        assertThat(count("payment")).isEqualTo(payments);
        assertThat(count("reconciliation_run")).isEqualTo(runs);
    }

    /**
     * A payment asked for an order whose {@code order.awaiting-payment} has not arrived yet waits for it instead of
     * being refused: here the order becomes known a second after the request, which then goes on to the channel
     * (and meets its outage: 503, not 409).
     */
    @Test
    void aPaymentForAnOrderNotKnownYetWaitsForItInsteadOfBeingRefused() throws Exception {
        String orderNo = "O" + UUID.randomUUID().toString().replace("-", "").substring(0, 20).toUpperCase(java.util.Locale.ROOT);
        java.util.concurrent.CompletableFuture<HttpResponse<String>> request = java.util.concurrent.CompletableFuture
            .supplyAsync(() -> {
                try {
                    return send("POST", "/api/payments", "{\"orderNo\":\"" + orderNo + "\"}");
                }
                catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
            });
        org.awaitility.Awaitility.await().during(java.time.Duration.ofSeconds(1)).atMost(java.time.Duration.ofSeconds(2))
            .until(() -> !request.isDone());
        this.payments.orderAwaitingPayment(new OrderAwaitingPayment(orderNo, 2_500, "CNY",
                Instant.now().plus(10, ChronoUnit.MINUTES)));

        HttpResponse<String> response = request.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
        assertThat(response.body()).contains("channel-unavailable");
    }

    /** An order payment-service never hears of is still refused, once the wait is over. */
    @Test
    void aPaymentForAnOrderNeverKnownIsRefusedAfterTheWait() throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> response = send("POST", "/api/payments", "{\"orderNo\":\"ONOSUCHORDER\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(409);
        assertThat(response.body()).contains("order-not-payable");
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(java.time.Duration.ofSeconds(3));
    }

    @Test
    void anOperatorQueryOfAnUnknownPaymentIs404() throws Exception {
        HttpResponse<String> response = send("POST", "/api/admin/payments/PNOSUCHPAYMENT/query", null);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(404);
        assertThat(response.body()).contains("\"type\":\"https://tally.example/problems/unknown-payment\"");
    }

    @Test
    void aChannelThatCannotBeReachedAnswers503WithRetryAfterAndTheOrderStaysPayable() throws Exception {
        String orderNo = "O" + UUID.randomUUID().toString().replace("-", "").substring(0, 20).toUpperCase(java.util.Locale.ROOT);
        this.payments.orderAwaitingPayment(new OrderAwaitingPayment(orderNo, 2_500, "CNY",
                Instant.now().plus(10, ChronoUnit.MINUTES)));

        String key = UUID.randomUUID().toString();
        HttpResponse<String> response = send("POST", "/api/payments", "{\"orderNo\":\"" + orderNo + "\"}", key);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(response.body()).contains("\"type\":\"https://tally.example/problems/channel-unavailable\"");
        // the intent is recorded (committed before the channel was called), without a trade
        assertThat(this.jdbc.queryForList("SELECT status, channel_trade_no FROM payment WHERE order_no = ?", orderNo))
            .singleElement()
            .satisfies(row -> assertThat(row).containsEntry("status", "PAYING").containsEntry("channel_trade_no", null));
        assertThat(this.jdbc.queryForObject("SELECT status FROM payable_order WHERE order_no = ?", String.class, orderNo))
            .as("the order stays payable").isEqualTo("AWAITING_PAYMENT");
        // the key was released, not stored with the outage: the same request runs again (and meets the outage again)
        HttpResponse<String> again = send("POST", "/api/payments", "{\"orderNo\":\"" + orderNo + "\"}", key);
        assertThat(again.statusCode()).isEqualTo(503);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM payment WHERE order_no = ?", Long.class, orderNo))
            .as("the same payment's trade was asked for again; no second payment").isEqualTo(1);
        assertThat(this.jdbc.queryForObject(
                "SELECT COUNT(*) FROM channel_exchange WHERE endpoint = '/gateway/trades' AND request_body LIKE ?", Long.class,
                "%" + orderNo + "%")).as("both requests asked the channel").isEqualTo(2);
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return send(method, path, body, UUID.randomUUID().toString());
    }

    private HttpResponse<String> send(String method, String path, String body, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    ("operator:" + ServiceTestProperties.OPERATOR_PASSWORD).getBytes(StandardCharsets.UTF_8)))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private long count(String table) {
        return this.jdbc.queryForObject("SELECT COUNT(*) FROM " + table, Long.class);
    }
}
