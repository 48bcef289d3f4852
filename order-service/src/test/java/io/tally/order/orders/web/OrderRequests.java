package io.tally.order.orders.web;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** The order requests the long-poll tests make: place an order, read it, long-poll it. */
final class OrderRequests {

    private final HttpClient http = HttpClient.newHttpClient();

    private final int port;

    OrderRequests(int port) {
        this.port = port;
    }

    /** Places a one-line order; the answer as it came. */
    HttpResponse<String> placed() throws Exception {
        return send(HttpRequest.newBuilder(uri("/api/orders"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", UUID.randomUUID().toString())
            .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"u-long-poll\",\"items\":[{\"sku\":\"SKU-LP\",\"quantity\":1}]}")));
    }

    /** Places a one-line order; its number. */
    String place() throws Exception {
        HttpResponse<String> placed = placed();
        assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
        return orderNo(placed);
    }

    static String orderNo(HttpResponse<String> placed) {
        String body = placed.body();
        int at = body.indexOf("\"orderNo\":\"") + "\"orderNo\":\"".length();
        return body.substring(at, body.indexOf('"', at));
    }

    /** {@code GET /api/orders/{orderNo}}, with {@code If-None-Match} and {@code Prefer} when not {@code null}. */
    HttpResponse<String> get(String orderNo, String ifNoneMatch, String prefer) throws Exception {
        return send(request(orderNo, ifNoneMatch, prefer));
    }

    CompletableFuture<HttpResponse<String>> getAsync(String orderNo, String ifNoneMatch, String prefer) {
        return this.http.sendAsync(request(orderNo, ifNoneMatch, prefer).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The order's current version. */
    String tag(String orderNo) throws Exception {
        return get(orderNo, null, null).headers().firstValue("ETag").orElseThrow();
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + this.port + path);
    }

    private HttpRequest.Builder request(String orderNo, String ifNoneMatch, String prefer) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/api/orders/" + orderNo)).GET();
        if (ifNoneMatch != null) {
            request.header("If-None-Match", ifNoneMatch);
        }
        if (prefer != null) {
            request.header("Prefer", prefer);
        }
        return request;
    }
}
