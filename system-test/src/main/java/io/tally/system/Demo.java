package io.tally.system;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import tools.jackson.databind.JsonNode;

/**
 * The demo: a short story a person can follow in the terminal, on the services started as processes, ending
 * with a summary and the invariant checks.
 */
final class Demo {

    private final Cluster cluster;

    private final PublicApi api;

    private final Map<String, String> story = new LinkedHashMap<>();

    private final List<Invariants.Placed> placed = new ArrayList<>();

    private final Map<String, Integer> stock = new LinkedHashMap<>();

    private final Map<String, String> options;

    private final Duration grace;

    private Demo(Cluster cluster, Map<String, String> options, Duration grace) {
        this.cluster = cluster;
        this.api = new PublicApi(cluster);
        this.options = options;
        this.grace = grace;
    }

    /** A duration as Spring writes it: {@code 500ms}, {@code 20s}, {@code 1m}, {@code 2h}. */
    static Duration duration(String text) {
        var matcher = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("Not a duration: " + text);
        }
        long n = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    /** The story on the services docker compose started. */
    static boolean attached(Map<String, String> options) throws Exception {
        Cluster cluster = Cluster.attached(options.get("operator-password"));
        cluster.useChannels(Cli.channels(options.getOrDefault("channel", "simulator")));
        say("Payments go through " + String.join(", ", cluster.channels()) + " (the simulator speaks each protocol)");
        say("Waiting for the services of docker compose to be healthy");
        cluster.start();
        say("All four are healthy. Payment window and grace are ORDER_PAYMENT_WINDOW and ORDER_CANCEL_GRACE of .env; "
                + "Carol's and Dave's cancellations take that long.");
        return new Demo(cluster, options, duration(options.getOrDefault("cancel-grace", "1m"))).tell();
    }

    static boolean run(Path home, int basePort, List<String> channels) throws Exception {
        Cluster.Settings settings = new Cluster.Settings(basePort, Duration.ofSeconds(12), Duration.ofSeconds(3),
                "demo-" + UUID.randomUUID().toString().substring(0, 8),
                // regular queries late enough that only the one at the deadline can find Dave's payment
                List.of("--payment.checks.query-delays=40s,10s,20s"), false);
        try (Cluster cluster = new Cluster(home, settings)) {
            cluster.useChannels(channels);
            say("Payments go through " + String.join(", ", channels) + " (the simulator speaks each protocol)");
            say("Starting the gateway simulator, inventory, order and payment services on "
                    + (basePort > 0 ? "ports " + basePort + "-" + (basePort + 3) : "free ports") + " (logs: " + cluster.logs() + ")");
            cluster.start();
            say("All four are healthy. Payment window 12 s, cancellation 3 s after it.");
            return new Demo(cluster, Map.of(), settings.cancelGrace()).tell();
        }
    }

    private boolean tell() throws Exception {
        String book = "BOOK-" + this.cluster.runName();
        String pen = "PEN-" + this.cluster.runName();
        step("An operator stocks two SKUs: " + book + " (39.00, 20) and " + pen + " (5.00, 5)");
        this.api.putStock(book, 3900, 20);
        this.api.putStock(pen, 500, 5);
        this.stock.put(book, 20);
        this.stock.put(pen, 5);

        step("Alice and Bob order and pay");
        for (String user : List.of("alice", "bob")) {
            String orderNo = place(user, book, 1, "placed and paid");
            String paymentNo = payment(orderNo);
            this.api.pay(paymentNo);
            show(orderNo, awaitOrder(orderNo, "PAID"));
        }

        step("Carol orders a pen and never pays: the order is cancelled " + this.grace.toSeconds() + " s after its deadline");
        String carol = place("carol", pen, 1, "not paid: timed out");

        step("Dave orders a book; he will pay at the very last moment");
        String dave = place("dave", book, 1, "paid at the last second, callback lost");
        JsonNode daveOrder = this.api.order(dave);
        Instant deadline = Instant.parse(daveOrder.get("payDeadline").asString());
        Instant cancelAt = deadline.plus(this.grace);
        String davePayment = payment(dave);

        step("Erin pays; the channel sends her callback 5 times at once: one payment, one coupon");
        String erin = place("erin", book, 1, "callback duplicated x5: absorbed");
        String erinPayment = payment(erin);
        this.api.faults(Map.of("duplicateCallbacks", 1, "duplicateCopies", 5));
        this.api.pay(erinPayment);
        show(erin, awaitOrder(erin, "PAID"));
        this.api.faults(Map.of());

        step("Frank pays; his callback arrives with a tampered amount (validly signed): flagged ABNORMAL, never paid");
        String frank = place("frank", pen, 1, "tampered callback: abnormal, refunded");
        String frankPayment = payment(frank);
        this.api.faults(Map.of("tamperCallbacks", 1));
        this.api.pay(frankPayment);
        JsonNode abnormal = await(() -> this.api.payment(frankPayment), p -> "ABNORMAL".equals(p.get("status").asString()));
        say("  payment " + frankPayment + " is ABNORMAL: " + abnormal.get("abnormalReason").asString());
        this.api.faults(Map.of());

        step("Dave pays one second before his deadline, and the channel loses his callback");
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
            .until(() -> Instant.now().isAfter(deadline.minusSeconds(1)));
        this.api.faults(Map.of("dropCallbacks", 1));
        this.api.pay(davePayment);
        say("  paid at the channel; no callback will come. payment-service asks the channel at the deadline " + deadline
                + ", before the cancellation time " + cancelAt);

        step("A poison message (not JSON, no event type) is published to the order events");
        String messageId = poison();
        JsonNode deadLetter = await(() -> this.api.adminRead(Service.INVENTORY, "/api/admin/dead-letters"),
                list -> find(list, messageId) != null);
        JsonNode letter = find(deadLetter, messageId);
        say("  inventory dead-lettered it as " + letter.get("failureKind").asString() + ", "
                + letter.get("status").asString() + ": " + letter.get("reason").asString());
        String id = letter.get("id").asString();
        this.api.admin("POST", Service.INVENTORY, "/api/admin/dead-letters/" + id + "/replay", Map.of("reason", "demo: replay"));
        JsonNode again = await(() -> parked(messageId), letterAgain -> letterAgain != null);
        say("  the operator replayed it (same message id " + messageId + "); it failed the same way and is "
                + again.get("status").asString() + " again as " + again.get("id").asString() + ": replays are recorded, never lost");
        this.api.admin("POST", Service.INVENTORY, "/api/admin/dead-letters/" + again.get("id").asString() + "/discard",
                Map.of("reason", "demo: a malformed message, nothing to recover"));
        say("  the operator discarded it with a reason");

        step("Waiting for Dave's payment to be found at his deadline, Carol's and Frank's orders to be cancelled and "
                + "Frank's money to come back");
        show(dave, awaitOrder(dave, "PAID"));
        this.api.faults(Map.of());
        say("  " + this.api.payment(davePayment).get("status").asString() + ": found by the query at the deadline, "
                + "not refunded");
        show(carol, awaitOrder(carol, "CANCELLED"));
        show(frank, awaitOrder(frank, "CANCELLED"));
        await(() -> this.api.payment(frankPayment), p -> p.path("refund").path("status").asString("").equals("SUCCEEDED"));

        summary();
        step("Invariants (docs/design.md, \"Invariants\"), reconciliation included");
        boolean holds = true;
        for (Invariants.Verdict verdict : new Invariants(this.cluster, this.api, Invariants.Scope.WHOLE_SYSTEM)
            .check(this.placed, this.stock, true).verdicts()) {
            say("  " + verdict);
            holds &= verdict.holds();
        }
        step(holds ? "Done: every invariant holds. Stopping what was started." : "Done, with a broken invariant (above).");
        return holds;
    }

    private void summary() {
        step("Summary");
        Map<String, JsonNode> ledger = this.api.ledger();
        say(String.format("  %-24s %-38s %-10s %7s %-10s %8s %8s %7s", "order", "story", "status", "amount", "payment",
                "captured", "refunded", "coupons"));
        for (Invariants.Placed order : this.placed) {
            JsonNode o = this.api.order(order.orderNo());
            List<JsonNode> payments = this.api.payments(order.orderNo());
            JsonNode payment = payments.isEmpty() ? null : payments.get(payments.size() - 1);
            JsonNode trade = payment == null ? null : ledger.get(payment.get("paymentNo").asString());
            long coupons = 0;
            for (JsonNode coupon : this.api.coupons(order.userId())) {
                coupons += coupon.get("orderNo").asString().equals(order.orderNo()) ? 1 : 0;
            }
            say(String.format("  %-24s %-38s %-10s %7s %-10s %8d %8d %7d", order.orderNo(), this.story.get(order.orderNo()),
                    o.get("status").asString(), money(o.path("amount").asLong(0)),
                    payment == null ? "-" : payment.get("status").asString(), trade == null ? 0 : trade.get("captured").asLong(),
                    trade == null ? 0 : trade.get("refunded").asLong(), coupons));
        }
        for (String sku : this.stock.keySet()) {
            JsonNode s = this.api.stock(sku);
            say(String.format("  stock %-12s available %3d  reserved %3d  sold %3d  (put in %d)", sku,
                    s.get("available").asInt(), s.get("reserved").asInt(), s.get("sold").asInt(), this.stock.get(sku)));
        }
    }

    private String poison() throws Exception {
        if (this.cluster.attached()) {
            return poisonThroughManagement();
        }
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(System.getenv().getOrDefault("RABBITMQ_HOST", "127.0.0.1"));
        factory.setPort(this.cluster.brokerPort());
        String messageId = "demo-poison-" + UUID.randomUUID();
        try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            channel.basicPublish(this.cluster.prefix() + "order.events", "order.created", true,
                    new AMQP.BasicProperties.Builder().messageId(messageId).contentType("application/json").deliveryMode(2).build(),
                    "{this is not an order".getBytes(StandardCharsets.UTF_8));
            channel.waitForConfirmsOrDie(10_000);
        }
        say("  published message " + messageId);
        return messageId;
    }

    private JsonNode parked(String messageId) {
        for (JsonNode item : this.api.adminRead(Service.INVENTORY, "/api/admin/dead-letters?status=PARKED")) {
            if (messageId.equals(item.path("messageId").asString())) {
                return item;
            }
        }
        return null;
    }

    /** With docker compose the broker's AMQP port is not published: publish through the management API. */
    private String poisonThroughManagement() throws Exception {
        String messageId = "demo-poison-" + UUID.randomUUID();
        String body = this.api.json.writeValueAsString(Map.of("properties", Map.of("message_id", messageId,
                "delivery_mode", 2, "content_type", "application/json"), "routing_key", "order.created",
                "payload", "{this is not an order", "payload_encoding", "string"));
        String auth = java.util.Base64.getEncoder().encodeToString((this.options.get("rabbitmq-user") + ":"
                + this.options.get("rabbitmq-password")).getBytes(StandardCharsets.UTF_8));
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
            .newBuilder(java.net.URI.create("http://127.0.0.1:15672/api/exchanges/%2F/order.events/publish"))
            .header("Authorization", "Basic " + auth).header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200 || !response.body().contains("true")) {
            throw new IllegalStateException("Could not publish the poison message: " + response.statusCode() + " " + response.body());
        }
        say("  published message " + messageId + " (through the management API)");
        return messageId;
    }

    private static JsonNode find(JsonNode list, String messageId) {
        for (JsonNode item : list) {
            if (messageId.equals(item.path("messageId").asString())) {
                return item;
            }
        }
        return null;
    }

    private String place(String user, String sku, int quantity, String story) {
        String orderNo = this.api.placeOrder(user + "-" + this.cluster.runName(), sku, quantity);
        this.placed.add(new Invariants.Placed(orderNo, user + "-" + this.cluster.runName(), sku, quantity));
        this.story.put(orderNo, story);
        JsonNode order = awaitOrder(orderNo, "AWAITING_PAYMENT");
        say("  " + user + ": order " + orderNo + " awaits payment of " + money(order.get("amount").asLong()) + " until "
                + order.get("payDeadline").asString());
        return orderNo;
    }

    private String payment(String orderNo) {
        PublicApi.Answer created = await(() -> this.api.createPayment(orderNo, Duration.ofSeconds(30)), a -> a.status() == 201);
        return created.body().get("paymentNo").asString();
    }

    private JsonNode awaitOrder(String orderNo, String status) {
        return await(() -> this.api.order(orderNo), o -> status.equals(o.path("status").asString()));
    }

    private static <T> T await(java.util.concurrent.Callable<T> read, Predicate<T> done) {
        return org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(300))
            .until(read, done::test);
    }

    private void show(String orderNo, JsonNode order) {
        say("  order " + orderNo + " is " + order.get("status").asString()
                + (order.path("cancelReason").isNull() || order.path("cancelReason").isMissingNode() ? ""
                        : " (" + order.get("cancelReason").asString() + ")")
                + (order.path("refundedAmount").asLong() > 0 ? ", refunded " + money(order.get("refundedAmount").asLong()) : ""));
    }

    private static String money(long minor) {
        return String.format("%d.%02d", minor / 100, minor % 100);
    }

    private static void step(String text) {
        say("\n== " + text);
    }

    /** The story is this program's output, for a person at a terminal: printed, not logged. */
    private static void say(String text) {
        System.out.println(text);
    }
}
