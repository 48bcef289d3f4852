package io.tally.payment;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.tally.channel.ChannelHeaders;
import io.tally.channel.PemKeys;
import io.tally.channel.Signatures;
import io.tally.events.Events.OrderAwaitingPayment;
import io.tally.payment.payments.PaymentService;
import io.tally.testing.ServiceTestProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every path on which payment-service learns what the channel did, against a fake channel: a callback (applied,
 * refused 403, abnormal), a query asked by an operator (paid, closed), the close of a cancelled order's trade
 * (closed, already paid), and the refund worker; each recorded in the words the records and the API hold.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.config.name=payment-service", "payment.reconciliation.enabled=false", "payment.checks.poll=100ms",
        "payment.checks.query-delays=1h", "payment.checks.deadline-queries=" })
class ChannelPathsTests {

    private static final JsonMapper json = JsonMapper.builder().build();

    /** The fake channel's trades, by payment number: status, captured amount. */
    private static final Map<String, String[]> trades = new ConcurrentHashMap<>();

    private static final HttpServer channel = channel();

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        ServiceTestProperties.register(registry);
        registry.add("payment.channel.merchant-private-key", () -> "file:../config/test-keys/merchant-private.pem");
        registry.add("payment.channel.channel-public-key", () -> "file:../config/test-keys/channel-public.pem");
        registry.add("payment.channel.base-url", () -> "http://127.0.0.1:" + channel.getAddress().getPort());
    }

    @AfterAll
    static void stop() {
        channel.stop(0);
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    PaymentService payments;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aCallbackSucceedsAPaymentAndOneNotOursIsRefusedAndACancellationRefundsIt() throws Exception {
        String orderNo = order();
        String paymentNo = pay(orderNo);

        HttpResponse<String> paid = callback(paymentNo, "M100", 700, "CNY");
        assertThat(paid.statusCode()).as(paid.body()).isEqualTo(200);
        assertThat(paid.body()).isEqualTo("success");
        assertThat(status(paymentNo)).isEqualTo("SUCCEEDED");
        assertThat(outcomes(paymentNo)).containsExactly("succeeded");

        HttpResponse<String> notOurs = callback(paymentNo, "M999", 700, "CNY");
        assertThat(notOurs.statusCode()).isEqualTo(403);
        assertThat(notOurs.body()).isEqualTo("refused: merchant M999 is not ours");
        assertThat(outcomes(paymentNo)).contains("refused: merchant M999 is not ours");
        assertThat(callback(paymentNo, "M100", 700, "CNY").body()).isEqualTo("success");
        assertThat(outcomes(paymentNo)).contains("duplicate: payment already SUCCEEDED");

        this.payments.orderCancelled(orderNo, "USER");
        await().atMost(Duration.ofSeconds(10)).until(() -> "REFUNDED".equals(status(paymentNo)));
        assertThat(this.jdbc.queryForObject("SELECT status FROM refund WHERE payment_no = ?", String.class, paymentNo))
            .isEqualTo("SUCCEEDED");
        JsonNode payment = json.readTree(send("GET", "/api/payments/" + paymentNo, null).body());
        assertThat(payment.get("refund").get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(payment.get("refund").get("refundNo").asString()).isEqualTo(paymentNo + "-R1");
        HttpResponse<String> retry = send("POST", "/api/admin/refunds/" + paymentNo + "-R1/retry", null);
        assertThat(retry.statusCode()).as("a confirmed refund is not pending").isEqualTo(409);
    }

    @Test
    void aCallbackOfAnotherAmountMakesThePaymentAbnormal() throws Exception {
        String paymentNo = pay(order());

        HttpResponse<String> tampered = callback(paymentNo, "M100", 701, "CNY");

        assertThat(tampered.statusCode()).isEqualTo(200);
        assertThat(status(paymentNo)).isEqualTo("ABNORMAL");
        assertThat(outcomes(paymentNo)).containsExactly("abnormal: amount 701 where 700 was asked");
    }

    @Test
    void anOperatorsQueryFindsAPaymentPaidOrClosedAtTheChannel() throws Exception {
        String paid = pay(order());
        trades.get(paid)[0] = "SUCCESS";
        trades.get(paid)[1] = "700";
        String closed = pay(order());
        trades.get(closed)[0] = "CLOSED";

        JsonNode paidAnswer = json.readTree(send("POST", "/api/admin/payments/" + paid + "/query", null).body());
        JsonNode closedAnswer = json.readTree(send("POST", "/api/admin/payments/" + closed + "/query", null).body());

        assertThat(paidAnswer.get("outcome").asString()).isEqualTo("paid, found by query");
        assertThat(paidAnswer.get("payment").get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(this.jdbc.queryForObject("SELECT last_query_result FROM payment WHERE payment_no = ?", String.class,
                paid)).isEqualTo("paid, found by query");
        assertThat(closedAnswer.get("outcome").asString()).isEqualTo("closed at the channel");
        assertThat(status(closed)).isEqualTo("CLOSED");
        assertThat(this.jdbc.queryForObject("SELECT detail FROM operator_action WHERE target = ?", String.class, closed))
            .isEqualTo("closed at the channel");
        JsonNode again = json.readTree(send("POST", "/api/admin/payments/" + closed + "/query", null).body());
        assertThat(again.get("outcome").asString()).isEqualTo("settled meanwhile: CLOSED");
    }

    @Test
    void aCancelledOrdersTradeIsClosedOrItsMoneyRefundedWhenItWasPaidAlready() throws Exception {
        String openOrder = order();
        String open = pay(openOrder);
        String paidOrder = order();
        String paid = pay(paidOrder);
        trades.get(paid)[0] = "SUCCESS";
        trades.get(paid)[1] = "700";

        this.payments.orderCancelled(openOrder, "TIMEOUT");
        this.payments.orderCancelled(paidOrder, "TIMEOUT");

        await().atMost(Duration.ofSeconds(10)).until(() -> "CLOSED".equals(status(open)));
        await().atMost(Duration.ofSeconds(10)).until(() -> "REFUNDED".equals(status(paid)));
        await().atMost(Duration.ofSeconds(5)).until(() -> this.jdbc.queryForObject(
                "SELECT COUNT(*) FROM payment WHERE payment_no IN (?, ?) AND close_due_at IS NULL", Integer.class, open,
                paid) == 2);
        assertThat(this.jdbc.queryForObject("SELECT status FROM payable_order WHERE order_no = ?", String.class, openOrder))
            .isEqualTo("CANCELLED");
        HttpResponse<String> refused = send("POST", "/api/payments", "{\"orderNo\":\"" + openOrder + "\"}");
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("it is cancelled");
    }

    private String order() {
        String orderNo = "O" + UUID.randomUUID().toString().replace("-", "").substring(0, 20).toUpperCase(Locale.ROOT);
        this.payments.orderAwaitingPayment(new OrderAwaitingPayment(orderNo, 700, "CNY",
                Instant.now().plus(10, ChronoUnit.MINUTES)));
        return orderNo;
    }

    private String pay(String orderNo) throws Exception {
        HttpResponse<String> created = send("POST", "/api/payments", "{\"orderNo\":\"" + orderNo + "\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return json.readTree(created.body()).get("paymentNo").asString();
    }

    private String status(String paymentNo) {
        return this.jdbc.queryForObject("SELECT status FROM payment WHERE payment_no = ?", String.class, paymentNo);
    }

    private java.util.List<String> outcomes(String paymentNo) {
        return this.jdbc.queryForList("SELECT outcome FROM channel_callback WHERE out_trade_no = ? ORDER BY received_at",
                String.class, paymentNo);
    }

    private HttpResponse<String> callback(String paymentNo, String merchant, long amount, String currency)
            throws Exception {
        String body = json.writeValueAsString(Map.of("notificationId", "N" + UUID.randomUUID(), "merchantId", merchant,
                "outTradeNo", paymentNo, "tradeNo", "T" + paymentNo, "amount", amount, "currency", currency,
                "tradeStatus", "TRADE_SUCCESS", "paidAt", Instant.now().toString()));
        String ts = Long.toString(Instant.now().getEpochSecond());
        String nonce = UUID.randomUUID().toString();
        PrivateKey key = PemKeys.privateKey(Files.readString(Path.of("../config/test-keys/channel-private.pem")));
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/api/payments/callbacks"))
            .header("Content-Type", "application/json")
            .header(ChannelHeaders.TIMESTAMP, ts)
            .header(ChannelHeaders.NONCE, nonce)
            .header(ChannelHeaders.SIGNATURE, Signatures.sign(Signatures.callbackText(ts, nonce, body), key))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
        return this.http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", UUID.randomUUID().toString())
            .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    ("operator:" + ServiceTestProperties.OPERATOR_PASSWORD).getBytes(StandardCharsets.UTF_8)))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A channel that keeps its trades in {@link #trades}: create, query, close, refund. */
    private static HttpServer channel() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/gateway/trades", exchange -> {
                String path = exchange.getRequestURI().getPath();
                if (path.equals("/gateway/trades")) {
                    JsonNode create = json.readTree(exchange.getRequestBody().readAllBytes());
                    String no = create.get("outTradeNo").asString();
                    trades.putIfAbsent(no, new String[] { "WAIT_PAY", "0" });
                    answer(exchange, 200, trade(no));
                    return;
                }
                String rest = path.substring("/gateway/trades/".length());
                String no = rest.endsWith("/close") ? rest.substring(0, rest.length() - "/close".length()) : rest;
                String[] trade = trades.get(no);
                if (trade == null) {
                    answer(exchange, 404, "{}");
                }
                else if (rest.endsWith("/close")) {
                    boolean paid = trade[0].equals("SUCCESS");
                    if (!paid) {
                        trade[0] = "CLOSED";
                    }
                    answer(exchange, 200, "{\"outTradeNo\":\"" + no + "\",\"outcome\":\"" + (paid ? "ALREADY_PAID" : "CLOSED")
                            + "\"}");
                }
                else {
                    answer(exchange, 200, trade(no));
                }
            });
            server.createContext("/gateway/refunds", exchange -> {
                JsonNode refund = json.readTree(exchange.getRequestBody().readAllBytes());
                answer(exchange, 200, json.writeValueAsString(Map.of("refundNo", refund.get("refundNo").asString(),
                        "outTradeNo", refund.get("outTradeNo").asString(), "amount", refund.get("amount").asLong(),
                        "refundedAt", Instant.now().toString())));
            });
            server.start();
            return server;
        }
        catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static String trade(String no) {
        String[] trade = trades.get(no);
        boolean paid = trade[0].equals("SUCCESS");
        return json.writeValueAsString(Map.of("outTradeNo", no, "tradeNo", "T" + no, "amount", 700, "currency", "CNY",
                "status", trade[0], "expireAt", Instant.now().plus(10, ChronoUnit.MINUTES).toString(), "captured",
                Long.parseLong(trade[1]), "refunded", 0, "paidAt", paid ? Instant.now().toString() : ""))
            .replace("\"paidAt\":\"\"", "\"paidAt\":null");
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}
