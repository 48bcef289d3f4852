package io.tally.flow;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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
 * When the channel misbehaves: active queries, refund retries, operator compensation and the exchange log, on
 * a system whose queries and retries run within seconds. Each test ends with the invariants of docs/design.md,
 * "Invariants".
 */
@ParameterizedClass(name = "through {0}")
@FieldSource("io.tally.flow.FlowFixtures#CHANNELS")
class ChannelTests {

    private static final Duration CONVERGED = Duration.ofSeconds(60);

    private final FlowFixtures system = FlowFixtures.channelSystem();

    /** The channel this class's payments go through. */
    @Parameter
    String channel;

    @BeforeEach
    void payThroughTheChannel() {
        this.system.useChannel(this.channel);
    }

    @org.junit.jupiter.api.AfterAll
    static void releaseTheSystem() {
        FlowFixtures.release(FlowFixtures.channelSystem());
    }

    private final Invariants invariants = new Invariants(this.system);

    private final JdbcTemplate payments = this.system.jdbc(this.system.payment);

    @AfterEach
    void clearFaults() {
        this.system.faults(Map.of());
    }

    @Test
    void aDroppedCallbackIsFoundByQueryAndAppliedOnce() {
        String orderNo = awaitingOrder("lena");
        String paymentNo = createPayment(orderNo);
        this.system.faults(Map.of("dropCallbacks", 1));
        this.system.pay(paymentNo, null);

        awaitStatus(orderNo, "PAID");
        assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(this.payments.queryForObject("SELECT last_query_result FROM payment WHERE payment_no = ?", String.class,
                paymentNo)).isEqualTo("paid, found by query");
        assertThat(this.system.ledger(paymentNo).get("callbacksSent").asInt()).isZero();
        assertThat(calls(paymentNo)).contains("QUERY OK");
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(1, 0, 0));
    }

    @Test
    void queriesBackOffWhileTheChannelIsDownThenRecover() {
        String orderNo = awaitingOrder("mike");
        String paymentNo = createPayment(orderNo);
        this.system.faults(Map.of("dropCallbacks", 1, "failQueries", 2));
        this.system.pay(paymentNo, null);

        awaitStatus(orderNo, "PAID");
        List<JsonNode> queries = exchanges(paymentNo).stream()
            .filter(e -> this.system.call(e).kind().equals("QUERY")).toList();
        assertThat(queries).extracting(e -> this.system.call(e).outcome()).containsExactly("FAILED", "FAILED", "OK");
        Instant first = Instant.parse(queries.get(0).get("startedAt").asString());
        Instant second = Instant.parse(queries.get(1).get("startedAt").asString());
        Instant third = Instant.parse(queries.get(2).get("startedAt").asString());
        assertThat(Duration.between(first, second)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        assertThat(Duration.between(second, third)).isGreaterThanOrEqualTo(Duration.ofMillis(800));
        assertThat(this.payments.queryForObject("SELECT query_attempts FROM payment WHERE payment_no = ?", Integer.class,
                paymentNo)).isEqualTo(3);
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(1, 0, 0));
    }

    @Test
    void aPaymentStillUnknownAfterEveryQueryIsFlaggedAndAnOperatorQueriesItNow() {
        String orderNo = awaitingOrder("nina");
        // The channel is down for queries and closes: the payment stays unknown.
        this.system.faults(Map.of("failQueries", 1000, "failCloses", 1000));
        String paymentNo = createPayment(orderNo);

        await().atMost(CONVERGED).until(() -> this.payments.queryForObject(
                "SELECT flagged_at IS NOT NULL FROM payment WHERE payment_no = ?", Boolean.class, paymentNo));
        assertThat(this.payments.queryForObject("SELECT query_attempts FROM payment WHERE payment_no = ?", Integer.class,
                paymentNo)).isEqualTo(6);
        assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("PAYING");
        assertThat(this.system.admin("GET", "/api/admin/payments/flagged", null).body().get("payments").toString())
            .contains(paymentNo);
        assertThat(this.system.payment.getBean(io.micrometer.core.instrument.MeterRegistry.class)
            .counter("tally.payment.flagged").count()).isPositive();

        this.system.faults(Map.of());
        assertThat(this.system.send("POST", this.system.paymentUrl + "/api/admin/payments/" + paymentNo + "/query", null,
                Map.of()).status()).as("operators only").isEqualTo(401);
        FlowFixtures.Answer queried = this.system.admin("POST", "/api/admin/payments/" + paymentNo + "/query", null);
        assertThat(queried.status()).isEqualTo(200);
        // Alipay does not know a QR trade nobody scanned, even once it expired: its close, not a query, settles it.
        // Elsewhere the query learns the trade is closed, unless the retried close of the timed-out order (the faults
        // are off now) got there first.
        String learnt = queried.body().get("outcome").asString();
        assertThat(learnt).isIn(this.channel.equals("alipay") ? List.of("unknown at the channel; flagged")
                : List.of("closed at the channel", "settled meanwhile: CLOSED"));
        await().atMost(CONVERGED)
            .untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("CLOSED"));
        JsonNode action = this.system.admin("GET", "/api/admin/actions/" + paymentNo, null).body().get(0);
        assertThat(action.get("action").asString()).isEqualTo("QUERY_PAYMENT");
        assertThat(action.get("operator").asString()).isEqualTo("operator");
        assertThat(action.get("detail").asString()).isEqualTo(learnt);
        awaitStatus(orderNo, "CANCELLED");
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 0));
    }

    @Test
    void aCaptureWithoutCallbackOnACancelledOrderIsRefundedOnce() {
        String orderNo = awaitingOrder("omar");
        String paymentNo = createPayment(orderNo);
        this.system.faults(Map.of("captureWithoutCallback", true));
        this.system.pay(paymentNo, null);
        assertThat(this.system.cancel(orderNo).status()).isEqualTo(200);

        await().atMost(CONVERGED)
            .untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("REFUNDED"));
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 1));
        assertThat(this.system.ledger(paymentNo).get("refunds")).hasSize(1);
    }

    @Test
    void aRefundThatFailsTwiceIsRetriedWithTheSameNumberAndIssuedOnce() {
        String orderNo = awaitingOrder("pia");
        String paymentNo = createPayment(orderNo);
        this.system.faults(Map.of("captureWithoutCallback", true, "failRefunds", 2));
        this.system.pay(paymentNo, null);
        this.system.cancel(orderNo);

        await().atMost(CONVERGED)
            .untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("REFUNDED"));
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 1));
        List<JsonNode> refunds = exchanges(paymentNo).stream()
            .filter(e -> this.system.call(e).kind().equals("REFUND")).toList();
        assertThat(refunds).extracting(e -> this.system.call(e).outcome()).containsExactly("FAILED", "FAILED", "OK");
        assertThat(refunds).extracting(e -> e.get("refundNo").asString()).containsOnly(paymentNo + "-R1");
        assertThat(this.system.ledger(paymentNo).get("refunds")).hasSize(1);
        assertThat(this.system.order(orderNo).get("refundedAmount").asLong()).isEqualTo(300);
    }

    @Test
    void anOperatorRetriesARefundFlaggedAfterEveryAttemptFailed() {
        String orderNo = awaitingOrder("quinn");
        String paymentNo = createPayment(orderNo);
        String refundNo = paymentNo + "-R1";
        this.system.faults(Map.of("captureWithoutCallback", true, "failRefunds", 100));
        this.system.pay(paymentNo, null);
        this.system.cancel(orderNo);

        await().atMost(CONVERGED).until(() -> Boolean.TRUE.equals(this.payments.queryForObject(
                "SELECT flagged_at IS NOT NULL FROM refund WHERE refund_no = ?", Boolean.class, refundNo)));
        assertThat(this.payments.queryForObject("SELECT attempts FROM refund WHERE refund_no = ?", Integer.class, refundNo))
            .isEqualTo(5);
        assertThat(this.system.ledger(paymentNo).get("refunded").asLong()).isZero();

        this.system.faults(Map.of());
        FlowFixtures.Answer retried = this.system.admin("POST", "/api/admin/refunds/" + refundNo + "/retry", null);
        assertThat(retried.status()).isEqualTo(200);
        assertThat(retried.body().get("outcome").asString()).isEqualTo("refunded");
        assertThat(this.system.admin("POST", "/api/admin/refunds/" + refundNo + "/retry", null).status()).isEqualTo(409);
        assertThat(this.system.admin("GET", "/api/admin/actions/" + refundNo, null).body().get(0).get("action").asString())
            .isEqualTo("RETRY_REFUND");
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 1));
        assertThat(this.system.ledger(paymentNo).get("refunds")).hasSize(1);
    }

    @Test
    void theExchangeLogKeepsEveryExchangeOfAPaymentEvenOfAFailedCall() {
        String orderNo = awaitingOrder("rosa");
        String paymentNo = createPayment(orderNo);
        // The close on cancellation fails once: the cancellation commits, and the close is tried again.
        this.system.faults(Map.of("failCloses", 1));
        this.system.cancel(orderNo);
        await().atMost(CONVERGED)
            .untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("CLOSED"));
        List<String> calls = calls(paymentNo);
        assertThat(calls).startsWith("CREATE OK", "CLOSE FAILED");
        if (this.channel.equals("alipay")) {
            // a QR trade nobody scanned is unknown to Alipay, to its closes and its queries: closed once it expired
            assertThat(calls.subList(2, calls.size())).contains("CLOSE UNKNOWN")
                .containsOnly("CLOSE UNKNOWN", "QUERY UNKNOWN");
        }
        else {
            assertThat(calls).containsExactly("CREATE OK", "CLOSE FAILED", "CLOSE OK");
        }
        JsonNode create = exchanges(paymentNo).get(0);
        assertThat(create.get("requestHeaders").asString() + create.get("requestBody").asString())
            .as("signed, as the channel's protocol signs")
            .contains(switch (this.channel) {
                case "alipay" -> "sign=";
                case "wechat" -> "WECHATPAY2-SHA256-RSA2048";
                default -> "X-Channel-Signature";
            });
        assertThat(create.get("requestBody").asString()).contains(paymentNo);

        String paidOrder = awaitingOrder("sam");
        String paid = createPayment(paidOrder);
        this.system.pay(paid, null);
        awaitStatus(paidOrder, "PAID");
        await().atMost(CONVERGED).untilAsserted(() -> assertThat(exchanges(paid))
            .anySatisfy(e -> {
                assertThat(this.system.call(e)).hasToString("CALLBACK OK");
                assertThat(e.get("requestHeaders").asString() + e.get("requestBody").asString())
                    .contains(switch (this.channel) {
                        case "alipay" -> "sign=";
                        case "wechat" -> "Wechatpay-Signature";
                        default -> "X-Channel-Signature";
                    });
            }));
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(1, 1, 0));
    }

    /**
     * The callback is stored raw, but its effect cannot be committed (the payment table refuses every change):
     * the channel is not told {@code success}, so it sends the callback again, and once the table accepts changes
     * the callback is applied, once.
     */
    @Test
    void aCallbackWhoseEffectCannotBeCommittedIsNotAcknowledgedAndTheChannelsRetryAppliesIt() {
        String orderNo = awaitingOrder("tess");
        String paymentNo = createPayment(orderNo);
        this.payments.execute("""
                CREATE TRIGGER test_refuse_payment_change BEFORE UPDATE ON payment FOR EACH ROW
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'payment changes refused by the test'""");
        try {
            assertThat(this.system.pay(paymentNo, null).status()).isEqualTo(200);
            await().atMost(CONVERGED).until(() -> exchanges(paymentNo).stream()
                .filter(e -> "INBOUND".equals(e.get("direction").asString()))
                .filter(e -> e.get("responseStatus").asInt() != 200).count() >= 2);
            assertThat(this.payments.queryForObject("SELECT COUNT(*) FROM channel_callback WHERE out_trade_no = ?",
                    Integer.class, paymentNo)).as("stored raw before it was applied").isEqualTo(1);
            assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("PAYING");
        }
        finally {
            this.payments.execute("DROP TRIGGER test_refuse_payment_change");
        }
        awaitStatus(orderNo, "PAID");
        List<JsonNode> callbacks = exchanges(paymentNo).stream().filter(e -> "INBOUND".equals(e.get("direction").asString()))
            .toList();
        assertThat(callbacks).extracting(e -> this.system.call(e).outcome()).last().isEqualTo("OK");
        assertThat(callbacks.stream().filter(e -> this.system.call(e).outcome().equals("OK"))).hasSize(1);
        assertThat(callbacks.subList(0, callbacks.size() - 1))
            .allSatisfy(e -> assertThat(e.get("responseStatus").asInt()).isGreaterThanOrEqualTo(500));
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(1, 0, 0));
    }

    @Test
    void aRefundTheChannelRefusesIsFlaggedAtOnceWithoutRetriesAndAnOperatorRetriesIt() {
        String orderNo = awaitingOrder("ugo");
        String paymentNo = createPayment(orderNo);
        String refundNo = paymentNo + "-R1";
        double flaggedBefore = this.system.payment.getBean(io.micrometer.core.instrument.MeterRegistry.class)
            .counter("tally.refund.flagged").count();
        this.system.faults(Map.of("captureWithoutCallback", true, "refuseRefunds", 1));
        this.system.pay(paymentNo, null);
        this.system.cancel(orderNo);

        await().atMost(CONVERGED).until(() -> Boolean.TRUE.equals(this.payments.queryForObject(
                "SELECT flagged_at IS NOT NULL FROM refund WHERE refund_no = ?", Boolean.class, refundNo)));
        assertThat(this.payments.queryForObject("SELECT attempts FROM refund WHERE refund_no = ?", Integer.class, refundNo))
            .as("flagged after the first refusal").isEqualTo(1);
        assertThat(this.payments.queryForObject("SELECT next_attempt_at IS NULL FROM refund WHERE refund_no = ?",
                Boolean.class, refundNo)).as("no retry scheduled").isTrue();
        assertThat(this.system.payment.getBean(io.micrometer.core.instrument.MeterRegistry.class)
            .counter("tally.refund.flagged").count()).isEqualTo(flaggedBefore + 1);
        assertThat(exchanges(paymentNo).stream().filter(e -> this.system.call(e).kind().equals("REFUND")))
            .extracting(e -> this.system.call(e).outcome()).containsExactly("REFUSED");
        assertThat(this.system.ledger(paymentNo).get("refunded").asLong()).isZero();

        this.system.faults(Map.of());
        assertThat(this.system.admin("POST", "/api/admin/refunds/" + refundNo + "/retry", null).body().get("outcome")
            .asString()).isEqualTo("refunded");
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 1));
    }

    /** The payment's exchanges with its channel, each as kind and outcome ({@link FlowFixtures#call}). */
    private List<String> calls(String paymentNo) {
        return exchanges(paymentNo).stream().map(e -> this.system.call(e).toString()).toList();
    }

    private List<JsonNode> exchanges(String paymentNo) {
        FlowFixtures.Answer answer = this.system.admin("GET", "/api/admin/payments/" + paymentNo + "/exchanges", null);
        assertThat(answer.status()).isEqualTo(200);
        List<JsonNode> list = new java.util.ArrayList<>();
        answer.body().forEach(list::add);
        return list;
    }

    private String awaitingOrder(String user) {
        String sku = "SKU-" + UUID.randomUUID().toString().substring(0, 8);
        this.invariants.stock(sku, 300, 3);
        String orderNo = this.invariants.place(user + "-" + sku, Map.of(sku, 1));
        awaitStatus(orderNo, "AWAITING_PAYMENT");
        return orderNo;
    }

    private String createPayment(String orderNo) {
        return this.system.awaitPayment(orderNo);
    }

    private JsonNode awaitStatus(String orderNo, String status) {
        return this.system.awaitStatus(orderNo, status);
    }
}
