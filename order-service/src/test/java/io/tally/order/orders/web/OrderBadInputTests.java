package io.tally.order.orders.web;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.tally.testing.ServiceTestProperties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input at order-service's edge: each request gets a problem-details 400 of a stable type, and nothing is
 * stored (no order, no outbox row): never a 500, never a silent coercion.
 */
@SpringBootTest(properties = "spring.config.name=order-service", webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OrderBadInputTests {

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        ServiceTestProperties.register(registry);
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    private final HttpClient http = HttpClient.newHttpClient();

    static Stream<Arguments> badOrders() {
        String line = "{\"sku\":\"SKU-1\",\"quantity\":1000}";
        return Stream.of(
                Arguments.of("not JSON", "{\"userId\":\"u1\",\"items\":[", "malformed-request"),
                Arguments.of("a word for a number", order("{\"sku\":\"SKU-1\",\"quantity\":\"two\"}"), "malformed-request"),
                Arguments.of("a string for a number", order("{\"sku\":\"SKU-1\",\"quantity\":\"5\"}"), "malformed-request"),
                Arguments.of("a fraction for an integer", order("{\"sku\":\"SKU-1\",\"quantity\":9.99}"), "malformed-request"),
                Arguments.of("a quantity past the integer range", order("{\"sku\":\"SKU-1\",\"quantity\":2147483648}"),
                        "malformed-request"),
                Arguments.of("a null inside items", order("null"), "invalid-request"),
                Arguments.of("a line without quantity", order("{\"sku\":\"SKU-1\"}"), "invalid-request"),
                Arguments.of("a zero quantity", order("{\"sku\":\"SKU-1\",\"quantity\":0}"), "invalid-request"),
                Arguments.of("a negative quantity", order("{\"sku\":\"SKU-1\",\"quantity\":-3}"), "invalid-request"),
                Arguments.of("a line over its bound", order("{\"sku\":\"SKU-1\",\"quantity\":1001}"), "quantity-out-of-range"),
                Arguments.of("lines that sum over the order's bound",
                        order(IntStream.range(0, 11).mapToObj(i -> line).collect(Collectors.joining(","))),
                        "quantity-out-of-range"),
                Arguments.of("lines that would wrap an int",
                        order("{\"sku\":\"SKU-1\",\"quantity\":1431655766},{\"sku\":\"SKU-1\",\"quantity\":1431655766},"
                                + "{\"sku\":\"SKU-1\",\"quantity\":1431655766}"),
                        "quantity-out-of-range"),
                Arguments.of("a SKU longer than its column", order("{\"sku\":\"" + "S".repeat(65) + "\",\"quantity\":1}"),
                        "invalid-request"),
                Arguments.of("a user id longer than its column",
                        "{\"userId\":\"" + "u".repeat(65) + "\",\"items\":[{\"sku\":\"SKU-1\",\"quantity\":1}]}", "invalid-request"),
                Arguments.of("no items", order(""), "invalid-request"),
                Arguments.of("too many lines",
                        order(IntStream.range(0, 51).mapToObj(i -> "{\"sku\":\"S" + i + "\",\"quantity\":1}")
                            .collect(Collectors.joining(","))),
                        "invalid-request"));
    }

    private static String order(String items) {
        return "{\"userId\":\"u1\",\"items\":[" + items + "]}";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badOrders")
    void aBadOrderIsRefusedWithAProblemOfItsTypeAndNothingIsStored(String what, String body, String type) throws Exception {
        long orders = count("customer_order");
        long events = count("tally_outbox");

        HttpResponse<String> response = this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port
                + "/api/orders"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", UUID.randomUUID().toString())
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                contentType -> assertThat(contentType).startsWith("application/problem+json"));
        assertThat(response.body()).contains("\"type\":\"https://tally.example/problems/" + type + "\"");
        assertThat(count("customer_order")).as("orders stored").isEqualTo(orders);
        assertThat(count("tally_outbox")).as("events written").isEqualTo(events);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPaths")
    void anIdentifierLongerThanItsColumnInAPathIsRefused(String what, String method, String path) throws Exception {
        HttpResponse<String> response = this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .header("Idempotency-Key", UUID.randomUUID().toString())
            .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains("\"type\":\"https://tally.example/problems/invalid-request\"");
    }

    static Stream<Arguments> badPaths() {
        return Stream.of(Arguments.of("an order number of 300 characters", "GET", "/api/orders/" + "O".repeat(300)),
                Arguments.of("a cancel of one", "POST", "/api/orders/" + "O".repeat(300) + "/cancel"),
                Arguments.of("a user id of 300 characters", "GET", "/api/users/" + "u".repeat(300) + "/coupons"));
    }

    private long count(String table) {
        return this.jdbc.queryForObject("SELECT COUNT(*) FROM " + table, Long.class);
    }
}
