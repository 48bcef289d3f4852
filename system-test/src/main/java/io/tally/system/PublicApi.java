package io.tally.system;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import io.tally.system.Cluster.Service;

/**
 * The public HTTP contract of DESIGN section 7, as a client sees it. Calls that are safe to repeat (reads, and
 * writes with an {@code Idempotency-Key}) are retried while a service is down or restarting.
 */
public final class PublicApi {

    /** An HTTP answer; {@code status} 0 when no answer came. */
    public record Answer(int status, JsonNode body, String text) {

        boolean ok() {
            return this.status >= 200 && this.status < 300;
        }
    }

    private final Cluster cluster;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final JsonMapper json = JsonMapper.builder().build();

    private final String operator;

    public PublicApi(Cluster cluster) {
        this.cluster = cluster;
        this.operator = "Basic " + Base64.getEncoder()
            .encodeToString(("operator:" + cluster.operatorPassword()).getBytes(StandardCharsets.UTF_8));
    }

    /** One call, no retry. */
    public Answer call(String method, Service service, String path, Object body, Map<String, String> headers) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(this.cluster.url(service) + path))
                .timeout(Duration.ofSeconds(20));
            headers.forEach(request::header);
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            }
            else {
                request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : this.json.writeValueAsString(body)));
            }
            HttpResponse<String> response = this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            String text = response.body().trim();
            JsonNode node = text.startsWith("{") || text.startsWith("[") ? this.json.readTree(text)
                    : this.json.getNodeFactory().stringNode(text);
            return new Answer(response.statusCode(), node, text);
        }
        catch (IOException ex) {
            return new Answer(0, this.json.nullNode(), ex.toString());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** Repeats a call that is safe to repeat until it is answered with anything but 5xx, within the bound. */
    public Answer retried(String method, Service service, String path, Object body, Map<String, String> headers,
            Duration atMost) {
        Instant until = Instant.now().plus(atMost);
        Answer answer;
        long pause = 100;
        do {
            answer = call(method, service, path, body, headers);
            if (answer.status() != 0 && answer.status() < 500) {
                return answer;
            }
            pauseFor(pause);
            pause = Math.min(pause * 2, 2000);
        } while (Instant.now().isBefore(until));
        return answer;
    }

    public Answer putStock(String sku, long price, int available) {
        return retried("PUT", Service.INVENTORY, "/api/stock/" + sku, Map.of("price", price, "available", available),
                Map.of("Authorization", this.operator), Duration.ofMinutes(2));
    }

    public JsonNode stock(String sku) {
        return retried("GET", Service.INVENTORY, "/api/stock/" + sku, null, Map.of(), Duration.ofMinutes(2)).body();
    }

    /**
     * Places an order, retrying with the same key until it is answered; while the first attempt is still in
     * flight (its process may have died), the key frees after its timeout.
     */
    public String placeOrder(String userId, String sku, int quantity) {
        Map<String, Object> body = Map.of("userId", userId, "items", List.of(Map.of("sku", sku, "quantity", quantity)));
        Map<String, String> key = Map.of("Idempotency-Key", UUID.randomUUID().toString());
        Answer answer;
        do {
            answer = retried("POST", Service.ORDER, "/api/orders", body, key, Duration.ofMinutes(2));
        } while (answer.status() == 409 && answer.text().contains("in flight") && pause(500));
        if (answer.status() != 201) {
            throw new IllegalStateException("Order not placed: " + answer.status() + " " + answer.text());
        }
        return answer.body().get("orderNo").asString();
    }

    public JsonNode order(String orderNo) {
        return retried("GET", Service.ORDER, "/api/orders/" + orderNo, null, Map.of(), Duration.ofMinutes(2)).body();
    }

    public Answer cancel(String orderNo) {
        return retried("POST", Service.ORDER, "/api/orders/" + orderNo + "/cancel", null, Map.of(), Duration.ofMinutes(2));
    }

    public JsonNode coupons(String userId) {
        return retried("GET", Service.ORDER, "/api/users/" + userId + "/coupons", null, Map.of(), Duration.ofMinutes(2)).body();
    }

    /** Creates the order's payment; answers the payment, or the refusal (409) or last failure. */
    public Answer createPayment(String orderNo) {
        Map<String, String> key = Map.of("Idempotency-Key", UUID.randomUUID().toString());
        Answer answer;
        do {
            answer = retried("POST", Service.PAYMENT, "/api/payments", Map.of("orderNo", orderNo), key, Duration.ofSeconds(60));
        } while (answer.status() == 409 && answer.text().contains("in flight") && pause(500));
        return answer;
    }

    public List<JsonNode> payments(String orderNo) {
        List<JsonNode> list = new ArrayList<>();
        retried("GET", Service.PAYMENT, "/api/payments?orderNo=" + orderNo, null, Map.of(), Duration.ofMinutes(2)).body()
            .forEach(list::add);
        return list;
    }

    /** The user pays at the channel (the simulator is never killed). */
    public Answer pay(String paymentNo) {
        return call("POST", Service.GATEWAY, "/gateway/trades/" + paymentNo + "/pay", "{}", Map.of());
    }

    /** The user pays; the channel's callback for this trade waits {@code callbackDelayMs}. */
    public Answer pay(String paymentNo, long callbackDelayMs) {
        return call("POST", Service.GATEWAY, "/gateway/trades/" + paymentNo + "/pay",
                Map.of("callbackDelayMs", callbackDelayMs), Map.of());
    }

    public JsonNode payment(String paymentNo) {
        return retried("GET", Service.PAYMENT, "/api/payments/" + paymentNo, null, Map.of(), Duration.ofMinutes(2)).body();
    }

    public void faults(Map<String, Object> faults) {
        call("DELETE", Service.GATEWAY, "/gateway/faults", null, Map.of());
        if (!faults.isEmpty()) {
            call("POST", Service.GATEWAY, "/gateway/faults", faults, Map.of());
        }
    }

    public void addFaults(Map<String, Object> faults) {
        call("POST", Service.GATEWAY, "/gateway/faults", faults, Map.of());
    }

    /** The channel's ledger by trade number. */
    public Map<String, JsonNode> ledger() {
        Map<String, JsonNode> ledger = new HashMap<>();
        call("GET", Service.GATEWAY, "/gateway/ledger", null, Map.of()).body()
            .forEach(entry -> ledger.put(entry.get("outTradeNo").asString(), entry));
        return ledger;
    }

    public Answer admin(String method, Service service, String path, Object body) {
        return retried(method, service, path, body, Map.of("Authorization", this.operator), Duration.ofMinutes(2));
    }

    private static boolean pause(long millis) {
        pauseFor(millis);
        return true;
    }

    static void pauseFor(long millis) {
        try {
            Thread.sleep(millis); // a client's pause between attempts, not a test's synchronisation
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
