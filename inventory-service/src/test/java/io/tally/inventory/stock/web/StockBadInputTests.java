package io.tally.inventory.stock.web;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
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
 * Bad input on {@code PUT /api/stock/{sku}}: a problem-details 400 of a stable type, and the catalogue unchanged
 * (never a 500, never a price of 9.99 kept as 9).
 */
@SpringBootTest(properties = "spring.config.name=inventory-service", webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class StockBadInputTests {

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        ServiceTestProperties.register(registry);
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    private final HttpClient http = HttpClient.newHttpClient();

    static Stream<Arguments> badPuts() {
        return Stream.of(Arguments.of("not JSON", "SKU-1", "{\"price\":", "malformed-request"),
                Arguments.of("a fractional price", "SKU-1", "{\"price\":9.99,\"available\":5}", "malformed-request"),
                Arguments.of("a price as a string", "SKU-1", "{\"price\":\"999\",\"available\":5}", "malformed-request"),
                Arguments.of("a fractional count", "SKU-1", "{\"price\":999,\"available\":5.5}", "malformed-request"),
                Arguments.of("a count past the integer range", "SKU-1", "{\"price\":999,\"available\":2147483648}",
                        "malformed-request"),
                Arguments.of("a negative price", "SKU-1", "{\"price\":-1,\"available\":5}", "invalid-request"),
                Arguments.of("a price over its bound", "SKU-1", "{\"price\":1000000000001,\"available\":5}", "invalid-request"),
                Arguments.of("a missing count", "SKU-1", "{\"price\":999}", "invalid-request"),
                Arguments.of("a SKU of 300 characters", "S".repeat(300), "{\"price\":999,\"available\":5}", "invalid-request"),
                Arguments.of("a SKU with white space", "SKU%201", "{\"price\":999,\"available\":5}", "invalid-request"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPuts")
    void aBadStockLevelIsRefusedWithAProblemOfItsTypeAndNothingIsStored(String what, String sku, String body, String type)
            throws Exception {
        long skus = this.jdbc.queryForObject("SELECT COUNT(*) FROM sku", Long.class);

        HttpResponse<String> response = this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port
                + "/api/stock/" + sku))
            .header("Content-Type", "application/json")
            .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    ("operator:" + ServiceTestProperties.OPERATOR_PASSWORD).getBytes(StandardCharsets.UTF_8)))
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains("\"type\":\"https://tally.example/problems/" + type + "\"");
        assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM sku", Long.class)).as("SKUs stored").isEqualTo(skus);
    }
}
