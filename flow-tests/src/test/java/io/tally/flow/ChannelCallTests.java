package io.tally.flow;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.FieldSource;
import tools.jackson.databind.JsonNode;

import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * No call to the channel while payment-service holds a database lock or a transaction open: the intent is
 * recorded and committed, the channel is called, and its answer is recorded in a transaction of its own. A slow
 * or failing channel therefore never delays a cancellation, a callback or another payment, and a cancellation
 * commits whatever the channel answers (its close is retried in the background). docs/design.md, "Calls to the
 * channel".
 */
@ParameterizedClass(name = "through {0}")
@FieldSource("io.tally.flow.FlowFixtures#CHANNELS")
class ChannelCallTests {

    private static final Duration CONVERGED = Duration.ofSeconds(60);

    /** Far below the channel's injected slowness: what does not wait for the channel happens within it. */
    private static final Duration PROMPTLY = Duration.ofSeconds(3);

    /** Slow, but within payment-service's timeout of a channel call (5 s): every call gets its answer. */
    private static final long SLOW_MS = 4_500;

    /** Within the payment window (4 s), so that the trade is born before it expires. */
    private static final long SLOW_CREATE_MS = 3_000;

    private final FlowFixtures system = FlowFixtures.channelSystem();

    /** The channel this class's payments go through. */
    @Parameter
    String channel;

    @BeforeEach
    void payThroughTheChannel() {
        this.system.useChannel(this.channel);
    }

    private final Invariants invariants = new Invariants(this.system);

    private final JdbcTemplate payments = this.system.jdbc(this.system.payment);

    @AfterAll
    static void releaseTheSystem() {
        FlowFixtures.release(FlowFixtures.channelSystem());
    }

    @AfterEach
    void clearFaults() {
        this.system.faults(Map.of());
    }

    @Test
    void aCancellationCommitsThoughTheCloseFailsAndTheCloseIsRetriedInTheBackground() {
        String orderNo = awaitingOrder("vera");
        String paymentNo = this.system.awaitPayment(orderNo);
        this.system.faults(Map.of("failCloses", 1000));
        assertThat(this.system.cancel(orderNo).status()).isEqualTo(200);

        await().atMost(PROMPTLY).untilAsserted(() -> assertThat(payable(orderNo)).isEqualTo("CANCELLED"));
        // The close fails and the trade is still open at the channel (until the deadline shown to the user): the user
        // pays it, and gets the money back.
        assertThat(this.system.pay(paymentNo, null).status()).isEqualTo(200);
        await().atMost(CONVERGED)
            .untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("REFUNDED"));
        assertThat(this.system.status(orderNo)).isEqualTo("CANCELLED");
        assertThat(this.system.createPayment(orderNo).status()).as("a cancelled order cannot be paid").isEqualTo(409);
        await().atMost(CONVERGED).until(() -> closes(paymentNo).size() >= 2);
        assertThat(closes(paymentNo)).allSatisfy(close -> assertThat(close).isEqualTo(FAILED));

        this.system.faults(Map.of());
        await().atMost(CONVERGED).until(() -> this.payments.queryForObject(
                "SELECT close_due_at IS NULL FROM payment WHERE payment_no = ?", Boolean.class, paymentNo));
        assertThat(closes(paymentNo)).as("answered at last: the trade was paid").last().isEqualTo(PAID);
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 1));
        assertThat(this.system.ledger(paymentNo).get("refunds")).hasSize(1);
    }

    @Test
    void whileACloseIsSlowTheCancellationIsCommittedCallbacksApplyAndOtherPaymentsAreServed() {
        String orderNo = awaitingOrder("wes");
        String paymentNo = this.system.awaitPayment(orderNo);
        this.system.faults(Map.of("slowCallsMs", SLOW_MS));
        assertThat(this.system.cancel(orderNo).status()).isEqualTo(200);

        await().atMost(PROMPTLY).untilAsserted(() -> assertThat(payable(orderNo)).isEqualTo("CANCELLED"));
        // the close is still on its way to the channel; the user pays the open trade, and its callback is applied at once
        assertThat(this.system.pay(paymentNo, null).status()).isEqualTo(200);
        await().atMost(PROMPTLY).untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString())
            .isIn("REFUNDING", "REFUNDED"));
        String otherOrder = awaitingOrder("xena");
        String other = this.system.awaitPayment(otherOrder);
        assertThat(this.system.pay(other, null).status()).isEqualTo(200);
        await().atMost(PROMPTLY).untilAsserted(() -> assertThat(this.system.status(otherOrder)).isEqualTo("PAID"));
        await().atMost(CONVERGED)
            .untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("REFUNDED"));
        assertThat(this.system.status(orderNo)).isEqualTo("CANCELLED");
        await().atMost(CONVERGED).until(() -> this.payments.queryForObject(
                "SELECT close_due_at IS NULL FROM payment WHERE payment_no = ?", Boolean.class, paymentNo));
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(1, 1, 1));
    }

    @Test
    void whileATradeIsSlowToOpenTheOrderCanBeCancelledAndTheTradeIsClosedOnceItExists() throws Exception {
        String orderNo = awaitingOrder("yuri");
        this.system.faults(Map.of("slowCreatesMs", SLOW_CREATE_MS));
        CompletableFuture<FlowFixtures.Answer> creating = CompletableFuture
            .supplyAsync(() -> this.system.createPayment(orderNo));
        await("the payment is recorded before its trade is asked for").atMost(PROMPTLY)
            .until(() -> this.payments.queryForObject("SELECT COUNT(*) FROM payment WHERE order_no = ?", Integer.class,
                    orderNo) == 1);
        String paymentNo = this.payments.queryForObject("SELECT payment_no FROM payment WHERE order_no = ?", String.class,
                orderNo);
        assertThat(this.system.cancel(orderNo).status()).isEqualTo(200);
        await().atMost(PROMPTLY).untilAsserted(() -> assertThat(payable(orderNo)).isEqualTo("CANCELLED"));

        FlowFixtures.Answer created = creating.get(30, TimeUnit.SECONDS);
        assertThat(created.status()).as("cancelled while its trade was opened").isEqualTo(409);
        await().atMost(CONVERGED).untilAsserted(() -> {
            JsonNode trade = this.system.ledger(paymentNo);
            assertThat(trade).isNotNull();
            assertThat(trade.get("status").asString()).isEqualTo("CLOSED");
        });
        assertThat(this.system.pay(paymentNo, null).status()).as("the trade cannot be paid").isEqualTo(409);
        await().atMost(CONVERGED)
            .untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("CLOSED"));
        if (this.channel.equals("alipay")) {
            // Alipay knows no QR trade nobody scanned: each close is answered so, and the one after the trade's expiry
            // is taken for its close
            assertThat(closes(paymentNo)).as("closes of a trade Alipay does not know").isNotEmpty()
                .allSatisfy(close -> assertThat(close).isEqualTo(UNKNOWN));
        }
        else {
            assertThat(closes(paymentNo)).as("a close before the trade existed (nothing to close), and one once it did")
                .containsExactly(UNKNOWN, CLOSED);
        }
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 0));
    }

    private String payable(String orderNo) {
        return this.payments.queryForObject("SELECT status FROM payable_order WHERE order_no = ?", String.class, orderNo);
    }

    /** What a close's answer said, whatever the channel's protocol. */
    private static final String CLOSED = "closed", PAID = "paid", UNKNOWN = "unknown", FAILED = "failed";

    /**
     * What each of the payment's closes was answered, in order: {@link #CLOSED}, {@link #PAID} (paid already),
     * {@link #UNKNOWN} (the channel knows no such trade) or {@link #FAILED}, read from the exchange log in the
     * protocol of the payment's channel.
     */
    private List<String> closes(String paymentNo) {
        FlowFixtures.Answer answer = this.system.admin("GET", "/api/admin/payments/" + paymentNo + "/exchanges", null);
        assertThat(answer.status()).isEqualTo(200);
        List<String> closes = new java.util.ArrayList<>();
        for (JsonNode exchange : answer.body()) {
            String endpoint = exchange.get("endpoint").asString();
            if (endpoint.endsWith("/close") || endpoint.endsWith("method=alipay.trade.close")) {
                int status = exchange.path("responseStatus").asInt();
                String body = exchange.path("responseBody").asString("");
                closes.add(outcome(status, body));
            }
        }
        return closes;
    }

    private String outcome(int status, String body) {
        if (body.contains("alipay_trade_close_response")) {
            JsonNode close = this.system.json.readTree(body).path("alipay_trade_close_response");
            return switch (close.path("code").asString() + " " + close.path("sub_code").asString("")) {
                case "10000 " -> CLOSED;
                case "40004 ACQ.TRADE_NOT_EXIST" -> UNKNOWN;
                case "40004 ACQ.TRADE_STATUS_ERROR" -> PAID;
                default -> FAILED;
            };
        }
        if (status == 404) {
            return UNKNOWN;
        }
        if (status == 204 || (status == 200 && body.contains("\"CLOSED\""))) {
            return CLOSED;
        }
        if ((status == 200 && body.contains("ALREADY_PAID")) || (status == 400 && body.contains("ORDERPAID"))) {
            return PAID;
        }
        return FAILED;
    }

    private String awaitingOrder(String user) {
        String sku = "SKU-" + UUID.randomUUID().toString().substring(0, 8);
        this.invariants.stock(sku, 300, 3);
        String orderNo = this.invariants.place(user + "-" + sku, Map.of(sku, 1));
        this.system.awaitStatus(orderNo, "AWAITING_PAYMENT");
        return orderNo;
    }
}
