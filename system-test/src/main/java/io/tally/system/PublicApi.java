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

/**
 * The public HTTP contract of the services and the simulator, as a client sees it. Calls that are safe to
 * repeat (reads, and writes with an {@code Idempotency-Key}) are retried while a service is down or restarting,
 * each within a bound; every call has a timeout. Nothing here waits without a bound.
 */
public final class PublicApi {

    /** An HTTP answer; {@code status} 0 when no answer came (connection refused, timeout). */
    public record Answer(int status, JsonNode body, String text, java.net.http.HttpHeaders headers) {

        public Answer(int status, JsonNode body, String text) {
            this(status, body, text, java.net.http.HttpHeaders.of(Map.of(), (name, value) -> true));
        }

        /** A response header's first value, or {@code ""}. */
        public String header(String name) {
            return this.headers.firstValue(name).orElse("");
        }

        public boolean ok() {
            return this.status >= 200 && this.status < 300;
        }

        /** The {@code type} of a problem-details answer, or {@code ""}. */
        public String problemType() {
            return this.body.path("type").asString("");
        }

        @Override
        public String toString() {
            return this.status + " " + (this.text.length() > 300 ? this.text.substring(0, 300) + "..." : this.text);
        }
    }

    /** A read that got no usable answer: the checks report it instead of taking it for "nothing there". */
    public static final class Unreadable extends RuntimeException {

        private final Service service;

        Unreadable(Service service, String what, Answer answer) {
            super("cannot read " + what + ": " + answer);
            this.service = service;
        }

        /** The service that did not answer. */
        public Service service() {
            return this.service;
        }
    }

    private final Endpoints endpoints;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final JsonMapper json = JsonMapper.builder().build();

    private final String operator;

    private final Duration writeBudget;

    private final Duration readBudget;

    /** Writes are retried for up to 2 minutes (a service restarts meanwhile), reads for up to 30 s. */
    public PublicApi(Endpoints endpoints) {
        this(endpoints, Duration.ofMinutes(2), Duration.ofSeconds(30));
    }

    /**
     * @param writeBudget how long a write safe to repeat is retried
     * @param readBudget how long a read is retried before it is {@link Unreadable}
     */
    public PublicApi(Endpoints endpoints, Duration writeBudget, Duration readBudget) {
        this.endpoints = endpoints;
        this.writeBudget = writeBudget;
        this.readBudget = readBudget;
        this.operator = "Basic " + Base64.getEncoder()
            .encodeToString(("operator:" + endpoints.operatorPassword()).getBytes(StandardCharsets.UTF_8));
    }

    /** The channel each order's payments go through, once chosen. */
    private final Map<String, String> channels = new java.util.concurrent.ConcurrentHashMap<>();

    private final java.util.concurrent.atomic.AtomicInteger nextChannel = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * The channel the order's payments go through: the system's channels in turn, by the order of first asking,
     * remembered per order, so that every attempt for one order asks the same channel.
     */
    public String channelOf(String orderNo) {
        return this.channels.computeIfAbsent(orderNo, order -> {
            java.util.List<String> all = this.endpoints.channels();
            return all.get(Math.floorMod(this.nextChannel.getAndIncrement(), all.size()));
        });
    }

    /** One call, no retry, within 20 s. */
    public Answer call(String method, Service service, String path, Object body, Map<String, String> headers) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(this.endpoints.url(service) + path))
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
            JsonNode node;
            try {
                node = text.startsWith("{") || text.startsWith("[") ? this.json.readTree(text)
                        : this.json.getNodeFactory().stringNode(text);
            }
            catch (tools.jackson.core.JacksonException unreadable) {
                node = this.json.getNodeFactory().stringNode(text);
            }
            return new Answer(response.statusCode(), node, text, response.headers());
        }
        catch (IOException ex) {
            return new Answer(0, this.json.missingNode(), ex.toString());
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

    /**
     * As {@link #retried}, also while the answer is 409 "in flight" (the first request with the key still runs,
     * or its process died and the key frees after its in-flight timeout), within the same bound.
     */
    private Answer idempotent(String method, Service service, String path, Object body, Map<String, String> key,
            Duration atMost) {
        Instant until = Instant.now().plus(atMost);
        Answer answer;
        do {
            answer = retried(method, service, path, body, key, Duration.between(Instant.now(), until));
            if (!(answer.status() == 409 && answer.problemType().endsWith("idempotent-request-in-flight"))) {
                return answer;
            }
            pauseFor(500);
        } while (Instant.now().isBefore(until));
        return answer;
    }

    /** A read: retried within the read budget; anything but 2xx is {@link Unreadable}. */
    private JsonNode read(Service service, String path, Map<String, String> headers) {
        Answer answer = retried("GET", service, path, null, headers, this.readBudget);
        if (!answer.ok()) {
            throw new Unreadable(service, service.module() + " " + path, answer);
        }
        return answer.body();
    }

    public Answer putStock(String sku, long price, int available) {
        return retried("PUT", Service.INVENTORY, "/api/stock/" + sku, Map.of("price", price, "available", available),
                Map.of("Authorization", this.operator), this.writeBudget);
    }

    public JsonNode stock(String sku) {
        return read(Service.INVENTORY, "/api/stock/" + sku, Map.of());
    }

    /**
     * Places an order, retrying with the same key until it is answered.
     * @throws IllegalStateException when it is not placed within the write budget
     */
    public String placeOrder(String userId, String sku, int quantity) {
        return placeOrder(userId, Map.of(sku, quantity));
    }

    /** Places an order of several lines; see {@link #placeOrder(String, String, int)}. */
    public String placeOrder(String userId, Map<String, Integer> items) {
        return placed(userId, items).body().get("orderNo").asString();
    }

    /** Places an order; the answer carries the order and its version ({@code ETag}), to wait for the next from. */
    public Answer placed(String userId, Map<String, Integer> items) {
        List<Map<String, Object>> lines = new ArrayList<>();
        items.forEach((sku, quantity) -> lines.add(Map.of("sku", sku, "quantity", quantity)));
        Answer answer = idempotent("POST", Service.ORDER, "/api/orders", Map.of("userId", userId, "items", lines),
                Map.of("Idempotency-Key", UUID.randomUUID().toString()), this.writeBudget);
        if (answer.status() != 201) {
            throw new IllegalStateException("Order not placed: " + answer);
        }
        return answer;
    }

    public JsonNode order(String orderNo) {
        return read(Service.ORDER, "/api/orders/" + orderNo, Map.of());
    }

    /**
     * Waits, by one long poll, for the order to differ from the version tagged {@code tag} (its {@code ETag}):
     * 200 with the order when it changed, 304 when it did not within {@code wait}.
     */
    public Answer orderChangedFrom(String orderNo, String tag, Duration wait) {
        return call("GET", Service.ORDER, "/api/orders/" + orderNo, null,
                Map.of("If-None-Match", tag, "Prefer", "wait=" + wait.toSeconds()));
    }

    public Answer cancel(String orderNo) {
        return retried("POST", Service.ORDER, "/api/orders/" + orderNo + "/cancel", null, Map.of(), this.writeBudget);
    }

    public JsonNode coupons(String userId) {
        return read(Service.ORDER, "/api/users/" + userId + "/coupons", Map.of());
    }

    /**
     * One attempt to create the order's payment, with a key of its own, retried with that key while the service
     * is down (within {@code atMost}); answers the payment, a refusal (4xx) or the last failure.
     */
    public Answer createPayment(String orderNo, Duration atMost) {
        return idempotent("POST", Service.PAYMENT, "/api/payments", Map.of("orderNo", orderNo, "channel", channelOf(orderNo)),
                Map.of("Idempotency-Key", UUID.randomUUID().toString()), atMost);
    }

    public List<JsonNode> payments(String orderNo) {
        List<JsonNode> list = new ArrayList<>();
        read(Service.PAYMENT, "/api/payments?orderNo=" + orderNo, Map.of()).forEach(list::add);
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
        return read(Service.PAYMENT, "/api/payments/" + paymentNo, Map.of());
    }

    /** Clears the faults, then sets these; answers the settings the simulator acknowledged. */
    public JsonNode faults(Map<String, Object> faults) {
        Answer cleared = call("DELETE", Service.GATEWAY, "/gateway/faults", null, Map.of());
        if (cleared.status() != 204) {
            throw new IllegalStateException("The simulator did not clear its faults: " + cleared);
        }
        return faults.isEmpty() ? this.json.createObjectNode() : addFaults(faults);
    }

    /**
     * Sets these faults (others stay); answers the settings the simulator acknowledged.
     * @throws IllegalStateException when the simulator refused them or acknowledged other values
     */
    public JsonNode addFaults(Map<String, Object> faults) {
        Answer answer = call("POST", Service.GATEWAY, "/gateway/faults", faults, Map.of());
        if (!answer.ok()) {
            throw new IllegalStateException("The simulator refused the faults " + faults + ": " + answer);
        }
        faults.forEach((name, value) -> {
            if (!answer.body().path(name).asString("").equals(String.valueOf(value))) {
                throw new IllegalStateException("The simulator acknowledged " + name + "=" + answer.body().path(name)
                        + ", not " + value + ": " + answer);
            }
        });
        return answer.body();
    }

    /** The faults set now at the simulator, counts as they are left. */
    public JsonNode currentFaults() {
        return read(Service.GATEWAY, "/gateway/faults", Map.of());
    }

        /** How many times the simulator applied each fault since it started. */
    public JsonNode appliedFaults() {
        return read(Service.GATEWAY, "/gateway/faults/applied", Map.of());
    }

    /** The channel's ledger by trade number. */
    public Map<String, JsonNode> ledger() {
        Map<String, JsonNode> ledger = new HashMap<>();
        read(Service.GATEWAY, "/gateway/ledger", Map.of()).forEach(entry -> ledger.put(entry.get("outTradeNo").asString(), entry));
        return ledger;
    }

    /** An operator's call, retried within the write budget. */
    public Answer admin(String method, Service service, String path, Object body) {
        return retried(method, service, path, body, Map.of("Authorization", this.operator), this.writeBudget);
    }

    /** An operator's read; anything but 2xx is {@link Unreadable}. */
    public JsonNode adminRead(Service service, String path) {
        return read(service, path, Map.of("Authorization", this.operator));
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
