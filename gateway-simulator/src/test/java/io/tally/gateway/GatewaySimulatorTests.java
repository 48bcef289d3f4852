package io.tally.gateway;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

import io.tally.channel.ChannelHeaders;
import io.tally.channel.ChannelMessages.CreateTrade;
import io.tally.channel.ChannelMessages.RefundRequest;
import io.tally.channel.PemKeys;
import io.tally.channel.Signatures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The simulator as a merchant sees it: signed requests, expiry, close, idempotent refunds, and signed callbacks
 * retried on its schedule until a (stub) merchant answers {@code success}, with faults.
 */
class GatewaySimulatorTests {

    private static final KeyPair merchant = PemKeys.generate();

    private static final JsonMapper json = JsonMapper.builder().build();

    private static final HttpClient http = HttpClient.newHttpClient();

    private static final List<Received> received = new CopyOnWriteArrayList<>();

    private static final AtomicInteger failuresToAnswer = new AtomicInteger();

    private static HttpServer merchantServer;

    private static ConfigurableApplicationContext gateway;

    private static String base;

    private static java.security.PublicKey channelKey;

    record Received(Instant at, String body, String timestamp, String nonce, String signature) {
    }

    @TempDir
    static Path keyDir;

    @BeforeAll
    static void start() throws Exception {
        merchantServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        merchantServer.createContext("/notify", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(new Received(Instant.now(), body, exchange.getRequestHeaders().getFirst(ChannelHeaders.TIMESTAMP),
                    exchange.getRequestHeaders().getFirst(ChannelHeaders.NONCE),
                    exchange.getRequestHeaders().getFirst(ChannelHeaders.SIGNATURE)));
            byte[] answer = (failuresToAnswer.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? "fail" : "success")
                .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        merchantServer.start();
        SpringApplication application = GatewayApplication.application();
        gateway = application.run("--server.port=0", "--gateway.key-dir=" + keyDir, "--gateway.merchants[0].id=M1",
                "--gateway.merchants[0].public-key=" + PemKeys.pem(merchant.getPublic()),
                "--gateway.callback-retry-delays=300ms,600ms");
        base = "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port");
        channelKey = PemKeys.publicKey(send("GET", "/gateway/public-key", null).body());
        assertThat(Files.exists(keyDir.resolve("channel-private.pem"))).as("generated at first start").isTrue();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        merchantServer.stop(0);
    }

    @AfterEach
    void reset() throws Exception {
        send("DELETE", "/gateway/faults", null);
        received.clear();
        failuresToAnswer.set(0);
    }

    @Test
    void refusesAnUnsignedATamperedOrAReplayedMerchantRequest() throws Exception {
        CreateTrade trade = trade(Instant.now().plusSeconds(60));
        assertThat(send("POST", "/gateway/trades", json.writeValueAsString(trade)).statusCode()).isEqualTo(401);
        String body = json.writeValueAsString(trade);
        HttpRequest signed = signed("POST", "/gateway/trades", body, UUID.randomUUID().toString());
        HttpRequest tampered = HttpRequest.newBuilder(signed.uri()).headers(headers(signed))
            .POST(HttpRequest.BodyPublishers.ofString(body.replace("\"amount\":500", "\"amount\":5"))).build();
        assertThat(http.send(tampered, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        assertThat(http.send(signed, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);
        assertThat(http.send(signed, HttpResponse.BodyHandlers.ofString()).statusCode()).as("nonce replayed").isEqualTo(401);
    }

    @Test
    void retriesASignedCallbackOnItsScheduleUntilTheMerchantAnswersSuccess() throws Exception {
        CreateTrade trade = create(Instant.now().plusSeconds(60));
        failuresToAnswer.set(2);
        assertThat(send("POST", "/gateway/trades/" + trade.outTradeNo() + "/pay", "{}").statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 3);
        assertThat(Duration.between(received.get(0).at(), received.get(1).at())).isGreaterThanOrEqualTo(Duration.ofMillis(290));
        assertThat(Duration.between(received.get(1).at(), received.get(2).at())).isGreaterThanOrEqualTo(Duration.ofMillis(590));
        JsonNode first = json.readTree(received.get(0).body());
        for (Received send : received) {
            assertThat(Signatures.verify(Signatures.callbackText(send.timestamp(), send.nonce(), send.body()),
                    send.signature(), channelKey)).isTrue();
            assertThat(json.readTree(send.body()).get("notificationId")).isEqualTo(first.get("notificationId"));
        }
        assertThat(received.stream().map(Received::nonce).distinct()).hasSize(3);
        assertThat(first.get("amount").asLong()).isEqualTo(500);
        assertThat(ledger(trade.outTradeNo()).get("callbacksSent").asInt()).isEqualTo(3);
    }

    @Test
    void closesAnUnpaidTradeAndAnswersAlreadyPaidForAPaidOne() throws Exception {
        CreateTrade unpaid = create(Instant.now().plusSeconds(60));
        assertThat(json.readTree(signedSend("POST", "/gateway/trades/" + unpaid.outTradeNo() + "/close", "").body())
            .get("outcome").asString()).isEqualTo("CLOSED");
        assertThat(send("POST", "/gateway/trades/" + unpaid.outTradeNo() + "/pay", "{}").statusCode()).isEqualTo(409);

        CreateTrade paid = create(Instant.now().plusSeconds(60));
        send("POST", "/gateway/trades/" + paid.outTradeNo() + "/pay", "{}");
        assertThat(json.readTree(signedSend("POST", "/gateway/trades/" + paid.outTradeNo() + "/close", "").body())
            .get("outcome").asString()).isEqualTo("ALREADY_PAID");
    }

    @Test
    void refusesToTakeMoneyAfterTheTradesExpiry() throws Exception {
        CreateTrade trade = create(Instant.now().plusMillis(300));
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(trade.expireAt()));
        assertThat(send("POST", "/gateway/trades/" + trade.outTradeNo() + "/pay", "{}").statusCode()).isEqualTo(409);
        assertThat(json.readTree(signedSend("GET", "/gateway/trades/" + trade.outTradeNo(), "").body())
            .get("status").asString()).isEqualTo("CLOSED");
    }

    @Test
    void refundsOncePerRefundNumberAndNeverMoreThanCaptured() throws Exception {
        CreateTrade trade = create(Instant.now().plusSeconds(60));
        send("POST", "/gateway/trades/" + trade.outTradeNo() + "/pay", "{}");
        String refund = json.writeValueAsString(new RefundRequest("M1", trade.outTradeNo(), trade.outTradeNo() + "-R1", 500, "test"));
        assertThat(signedSend("POST", "/gateway/refunds", refund).statusCode()).isEqualTo(200);
        assertThat(signedSend("POST", "/gateway/refunds", refund).statusCode()).isEqualTo(200);
        String second = json.writeValueAsString(new RefundRequest("M1", trade.outTradeNo(), trade.outTradeNo() + "-R2", 500, "test"));
        assertThat(signedSend("POST", "/gateway/refunds", second).statusCode()).isEqualTo(409);
        JsonNode entry = ledger(trade.outTradeNo());
        assertThat(entry.get("refunded").asLong()).isEqualTo(500);
        assertThat(entry.get("refunds")).hasSize(1);
    }

    @Test
    void injectsDuplicateTamperedDroppedAndReorderedCallbacksAndFailedCalls() throws Exception {
        send("POST", "/gateway/faults", "{\"duplicateCallbacks\":1,\"duplicateCopies\":4,\"tamperAmount\":true}");
        CreateTrade duplicated = create(Instant.now().plusSeconds(60));
        send("POST", "/gateway/trades/" + duplicated.outTradeNo() + "/pay", "{}");
        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 4);
        assertThat(received).allSatisfy(r -> assertThat(json.readTree(r.body()).get("amount").asLong()).isEqualTo(501));

        send("DELETE", "/gateway/faults", null);
        received.clear();
        send("POST", "/gateway/faults", "{\"dropCallbacks\":1,\"reorderCallbacks\":2}");
        CreateTrade dropped = create(Instant.now().plusSeconds(60));
        CreateTrade firstHeld = create(Instant.now().plusSeconds(60));
        CreateTrade secondHeld = create(Instant.now().plusSeconds(60));
        for (CreateTrade trade : List.of(dropped, firstHeld, secondHeld)) {
            send("POST", "/gateway/trades/" + trade.outTradeNo() + "/pay", "{}");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
        assertThat(received.stream().map(r -> json.readTree(r.body()).get("outTradeNo").asString()))
            .containsExactly(secondHeld.outTradeNo(), firstHeld.outTradeNo());
        assertThat(ledger(dropped.outTradeNo()).get("callbacksSent").asInt()).isZero();
        assertThat(ledger(dropped.outTradeNo()).get("captured").asLong()).isEqualTo(500);

        send("POST", "/gateway/faults", "{\"failQueries\":1}");
        assertThat(signedSend("GET", "/gateway/trades/" + dropped.outTradeNo(), "").statusCode()).isEqualTo(503);
        assertThat(signedSend("GET", "/gateway/trades/" + dropped.outTradeNo(), "").statusCode()).isEqualTo(200);
    }

    @Test
    void countsEveryFaultItAppliesSoATestCanTellTheFaultsItAskedForHappened() throws Exception {
        JsonNode before = json.readTree(send("GET", "/gateway/faults/applied", null).body());
        HttpResponse<String> set = send("POST", "/gateway/faults",
                "{\"duplicateCallbacks\":1,\"dropCallbacks\":1,\"tamperCallbacks\":1,\"refuseRefunds\":1,\"failRefunds\":1}");
        assertThat(set.statusCode()).isEqualTo(200);
        JsonNode acknowledged = json.readTree(set.body());
        assertThat(acknowledged.get("dropCallbacks").asInt()).as("the answer acknowledges the settings").isEqualTo(1);
        assertThat(acknowledged.get("refuseRefunds").asInt()).isEqualTo(1);

        CreateTrade dropped = create(Instant.now().plusSeconds(60));
        send("POST", "/gateway/trades/" + dropped.outTradeNo() + "/pay", "{}");
        CreateTrade duplicatedAndTampered = create(Instant.now().plusSeconds(60));
        send("POST", "/gateway/trades/" + duplicatedAndTampered.outTradeNo() + "/pay", "{}");
        String refund = json.writeValueAsString(new RefundRequest("M1", dropped.outTradeNo(), dropped.outTradeNo() + "-R1",
                500, "test"));
        assertThat(signedSend("POST", "/gateway/refunds", refund).statusCode()).as("failed").isEqualTo(503);
        HttpResponse<String> refused = signedSend("POST", "/gateway/refunds", refund);
        assertThat(refused.statusCode()).as("refused").isEqualTo(400);
        assertThat(signedSend("POST", "/gateway/refunds", refund).statusCode()).as("then issued").isEqualTo(200);

        JsonNode after = json.readTree(send("GET", "/gateway/faults/applied", null).body());
        assertThat(delta(before, after, "droppedTrades")).isEqualTo(1);
        assertThat(delta(before, after, "duplicatedTrades")).isEqualTo(1);
        assertThat(delta(before, after, "tamperedTrades")).isEqualTo(1);
        assertThat(delta(before, after, "failedRefunds")).isEqualTo(1);
        assertThat(delta(before, after, "refusedRefunds")).isEqualTo(1);
        assertThat(delta(before, after, "failedQueries")).isZero();
        assertThat(ledger(dropped.outTradeNo()).get("refunds")).hasSize(1);
    }

    private static long delta(JsonNode before, JsonNode after, String field) {
        return after.get(field).asLong() - before.get(field).asLong();
    }

    private CreateTrade create(Instant expireAt) throws Exception {
        CreateTrade trade = trade(expireAt);
        assertThat(signedSend("POST", "/gateway/trades", json.writeValueAsString(trade)).statusCode()).isEqualTo(201);
        return trade;
    }

    private CreateTrade trade(Instant expireAt) {
        return new CreateTrade("M1", "P" + UUID.randomUUID().toString().substring(0, 12), 500, "CNY", expireAt,
                "http://127.0.0.1:" + merchantServer.getAddress().getPort() + "/notify", "test");
    }

    private JsonNode ledger(String outTradeNo) throws Exception {
        for (JsonNode entry : json.readTree(send("GET", "/gateway/ledger", null).body())) {
            if (entry.get("outTradeNo").asString().equals(outTradeNo)) {
                return entry;
            }
        }
        throw new AssertionError("No ledger entry for " + outTradeNo);
    }

    private static HttpResponse<String> signedSend(String method, String path, String body) throws Exception {
        return http.send(signed(method, path, body, UUID.randomUUID().toString()), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest signed(String method, String path, String body, String nonce) {
        String timestamp = Long.toString(Instant.now().getEpochSecond());
        return HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .header(ChannelHeaders.MERCHANT, "M1")
            .header(ChannelHeaders.TIMESTAMP, timestamp)
            .header(ChannelHeaders.NONCE, nonce)
            .header(ChannelHeaders.SIGNATURE,
                    Signatures.sign(Signatures.requestText(method, path, timestamp, nonce, body), merchant.getPrivate()))
            .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
            .build();
    }

    private static String[] headers(HttpRequest request) {
        return request.headers().map().entrySet().stream()
            .flatMap(e -> e.getValue().stream().flatMap(v -> java.util.stream.Stream.of(e.getKey(), v)))
            .toArray(String[]::new);
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
