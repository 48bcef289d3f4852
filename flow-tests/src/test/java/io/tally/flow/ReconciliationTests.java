package io.tally.flow;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.FieldSource;
import tools.jackson.databind.JsonNode;

import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A reconciliation over a day with injected differences, on a system of its own (so that its channel's
 * statement holds only this test's trades): it finds exactly those, repairs the safe one, parks the others for
 * an operator, holds the one at the cut-off over to the next day, and records the operator's decision. Money
 * captured after a close and refunded reconciles clean.
 */
@ParameterizedClass(name = "through {0}")
@FieldSource("io.tally.flow.FlowFixtures#CHANNELS")
class ReconciliationTests {

    private static final Duration CONVERGED = Duration.ofSeconds(60);

    /** The channel this class's payments go through. */
    private final String channel;

    /** A system per channel: a run reconciles the whole day, so another channel's run would see this one's trades. */
    private final FlowFixtures system;

    ReconciliationTests(String channel) {
        this.channel = channel;
        this.system = FlowFixtures.reconciliationSystem(channel);
        this.payments = this.system.jdbc(this.system.payment);
    }

    @BeforeEach
    void payThroughTheChannel() {
        this.system.useChannel(this.channel);
    }

    @org.junit.jupiter.params.AfterParameterizedClassInvocation
    static void releaseTheSystem(String channel) {
        FlowFixtures.release(FlowFixtures.reconciliationSystem(channel));
    }

    private final JdbcTemplate payments;

    @Test
    void findsExactlyTheInjectedDifferencesRepairsTheSafeOneAndParksTheOthers() {
        // A: paid as it should be; no difference.
        String a = paidPayment("a");
        LocalDate day = Instant.parse(this.system.ledger(a).get("paidAt").asString()).atZone(ZoneOffset.UTC).toLocalDate();

        // B and I need a trade the channel closes before it is paid, then takes money for all the same. Alipay
        // cannot close a QR trade nobody scanned (it does not know it), and a scanned one is paid: neither happens.
        boolean closesUnpaid = !this.channel.equals("alipay");
        String b = closesUnpaid ? capturedAfterCloseWithoutCallback() : null;
        String i = closesUnpaid ? capturedAfterCloseWithItsCallback() : null;

        // C and G: a success here that the channel never captured (a local bug), G close to the day's end.
        String c = unpaidPayment("c");
        String g = unpaidPayment("g");
        // C early in the day, whenever this runs; G 5 minutes before its end
        corruptToSucceeded(c, day.atStartOfDay(ZoneOffset.UTC).toInstant().plus(Duration.ofHours(1)));
        corruptToSucceeded(g, day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().minus(Duration.ofMinutes(5)));

        // D: paid, but recorded here with another amount.
        String d = paidPayment("d");
        this.payments.update("UPDATE payment SET captured_amount = captured_amount - 1 WHERE payment_no = ?", d);

        // E: the callback's amount was tampered with: abnormal here, captured there (then refunded on timeout).
        String eOrder = awaitingOrder("e");
        String e = createPayment(eOrder);
        this.system.faults(Map.of("tamperAmount", true));
        this.system.pay(e, null);
        await().atMost(CONVERGED).until(() -> "ABNORMAL".equals(this.system.payment(e).get("status").asString()));
        this.system.faults(Map.of());
        await().atMost(CONVERGED).until(() -> refundStatus(e).equals("SUCCEEDED"));

        // F: refunded, but recorded here with another amount.
        String fOrder = awaitingOrder("f");
        String f = createPayment(fOrder);
        this.system.faults(Map.of("captureWithoutCallback", true));
        this.system.pay(f, null);
        this.system.faults(Map.of());
        this.system.cancel(fOrder);
        await().atMost(CONVERGED).until(() -> refundStatus(f).equals("SUCCEEDED"));
        this.payments.update("UPDATE refund SET amount = amount - 1 WHERE payment_no = ?", f);

        // H: a capture at the channel for a trade this payment-service never created: nothing safe to repair.
        String h = unknownTradeCaptured();

        FlowFixtures.Answer run = this.system.admin("POST", "/api/admin/reconciliations", Map.of("date", day.toString()));
        assertThat(run.status()).isEqualTo(201);
        JsonNode report = run.body();
        assertThat(report.get("run").get("status").asString()).isEqualTo("FINISHED");
        java.util.List<String> found = new java.util.ArrayList<>();
        for (JsonNode difference : report.get("differences")) {
            found.add(difference.get("outTradeNo").asString() + " " + difference.get("kind").asString() + " "
                    + difference.get("status").asString());
        }
        java.util.List<String> expected = new java.util.ArrayList<>(java.util.List.of(c + " MISSING_AT_CHANNEL OPEN",
                d + " AMOUNT_MISMATCH OPEN", e + " STATUS_MISMATCH OPEN", f + " REFUND_MISMATCH OPEN",
                g + " MISSING_AT_CHANNEL HELD_OVER", h + " MISSING_LOCAL OPEN"));
        if (b != null) {
            expected.add(b + " MISSING_LOCAL REPAIRED");
        }
        assertThat(found).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(report.get("run").get("differences").asInt()).isEqualTo(5);
        assertThat(report.get("run").get("repaired").asInt()).isEqualTo(b != null ? 1 : 0);
        assertThat(report.get("run").get("heldOver").asInt()).isEqualTo(1);

        if (b != null) {
            // The repair went through the state machine: the capture after close is refunded, once.
            await().atMost(CONVERGED).untilAsserted(() -> {
                assertThat(this.system.payment(b).get("status").asString()).isEqualTo("REFUNDED");
                assertThat(this.system.ledger(b).get("refunded").asLong()).isEqualTo(300);
            });
            assertThat(this.system.ledger(b).get("refunds")).hasSize(1);
            assertThat(i).as("captured after its close, refunded with its callback: not a difference").isNotNull();
        }

        // An operator resolves C with a recorded decision; once.
        long cId = differenceId(report, c);
        assertThat(this.system.admin("POST", "/api/admin/reconciliations/differences/" + cId + "/resolve", Map.of())
            .status()).isEqualTo(400);
        FlowFixtures.Answer resolved = this.system.admin("POST", "/api/admin/reconciliations/differences/" + cId + "/resolve",
                Map.of("decision", "local record corrected by hand; no money moved"));
        assertThat(resolved.status()).isEqualTo(200);
        assertThat(resolved.body().get("status").asString()).isEqualTo("RESOLVED");
        assertThat(resolved.body().get("resolvedBy").asString()).isEqualTo("operator");
        assertThat(this.system.admin("POST", "/api/admin/reconciliations/differences/" + cId + "/resolve",
                Map.of("decision", "again")).status()).isEqualTo(409);
        assertThat(this.system.admin("GET", "/api/admin/reconciliations/differences?status=OPEN", null).body())
            .hasSize(4);
        assertThat(this.payments.queryForObject("SELECT COUNT(*) FROM payment WHERE payment_no = ?", Integer.class, h))
            .as("no payment invented for a trade we never created").isZero();

        // The next day's run checks what was held over: G is in neither statement, so it is reported now.
        JsonNode next = this.system.admin("POST", "/api/admin/reconciliations", Map.of("date", day.plusDays(1).toString()))
            .body();
        assertThat(next.get("differences")).hasSize(1);
        assertThat(next.get("differences").get(0).get("outTradeNo").asString()).isEqualTo(g);
        assertThat(next.get("differences").get(0).get("status").asString()).isEqualTo("OPEN");
        assertThat(this.system.admin("GET", "/api/admin/reconciliations", null).body()).hasSize(2);
        assertThat(this.system.send("GET", this.system.paymentUrl + "/api/admin/reconciliations", null, Map.of()).status())
            .isEqualTo(401);
    }

    /** B: closed here on the user's cancel, yet captured at the channel afterwards, without callback. */
    private String capturedAfterCloseWithoutCallback() {
        String bOrder = awaitingOrder("b");
        String b = createPayment(bOrder);
        this.system.cancel(bOrder);
        await().atMost(CONVERGED).until(() -> "CLOSED".equals(this.system.payment(b).get("status").asString()));
        this.system.faults(Map.of("captureAfterClose", true, "captureWithoutCallback", true));
        assertThat(this.system.pay(b, null).status()).isEqualTo(200);
        this.system.faults(Map.of());
        return b;
    }

    /**
     * I: closed here on the user's cancel, captured at the channel afterwards, and its callback says so: refunded
     * here with the captured amount recorded, so it reconciles clean (it used to be a false AMOUNT_MISMATCH).
     */
    private String capturedAfterCloseWithItsCallback() {
        String iOrder = awaitingOrder("i");
        String i = createPayment(iOrder);
        this.system.cancel(iOrder);
        await().atMost(CONVERGED).until(() -> "CLOSED".equals(this.system.payment(i).get("status").asString()));
        this.system.faults(Map.of("captureAfterClose", true));
        assertThat(this.system.pay(i, null).status()).isEqualTo(200);
        this.system.faults(Map.of());
        await().atMost(CONVERGED).until(() -> refundStatus(i).equals("SUCCEEDED"));
        assertThat(this.payments.queryForObject("SELECT captured_amount FROM payment WHERE payment_no = ?", Long.class, i))
            .isEqualTo(300);
        return i;
    }

    /** Creates and pays a trade at the channel, signed as our merchant, that payment-service knows nothing of. */
    private String unknownTradeCaptured() {
        String outTradeNo = "PUNKNOWN" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toUpperCase();
        String body = this.system.json.writeValueAsString(new io.tally.channel.ChannelMessages.CreateTrade("M100", outTradeNo,
                300, "CNY", Instant.now().plus(Duration.ofMinutes(5)), this.system.paymentUrl + "/api/payments/callbacks",
                "not ours"));
        String timestamp = Long.toString(Instant.now().getEpochSecond());
        String nonce = UUID.randomUUID().toString();
        FlowFixtures.Answer created = this.system.send("POST", this.system.gatewayUrl + "/gateway/trades", body, Map.of(
                io.tally.channel.ChannelHeaders.MERCHANT, "M100", io.tally.channel.ChannelHeaders.TIMESTAMP, timestamp,
                io.tally.channel.ChannelHeaders.NONCE, nonce, io.tally.channel.ChannelHeaders.SIGNATURE,
                io.tally.channel.Signatures.sign(io.tally.channel.Signatures.requestText("POST", "/gateway/trades", timestamp,
                        nonce, body), this.system.merchantKeys.getPrivate())));
        assertThat(created.status()).isEqualTo(201);
        this.system.faults(Map.of("captureWithoutCallback", true));
        assertThat(this.system.pay(outTradeNo, null).status()).isEqualTo(200);
        this.system.faults(Map.of());
        return outTradeNo;
    }

    private void corruptToSucceeded(String paymentNo, Instant paidAt) {
        this.payments.update("""
                UPDATE payment SET status = 'SUCCEEDED', captured_amount = amount, paid_at = ?, next_query_at = NULL
                WHERE payment_no = ?""", LocalDateTime.ofInstant(paidAt, ZoneOffset.UTC).toString().replace('T', ' '),
                paymentNo);
    }

    private String refundStatus(String paymentNo) {
        JsonNode refund = this.system.payment(paymentNo).get("refund");
        return refund == null || refund.isNull() ? "" : refund.get("status").asString();
    }

    private long differenceId(JsonNode report, String outTradeNo) {
        for (JsonNode difference : report.get("differences")) {
            if (difference.get("outTradeNo").asString().equals(outTradeNo)) {
                return difference.get("id").asLong();
            }
        }
        throw new AssertionError("No difference for " + outTradeNo);
    }

    private String paidPayment(String user) {
        String orderNo = awaitingOrder(user);
        String paymentNo = createPayment(orderNo);
        this.system.pay(paymentNo, null);
        await().atMost(CONVERGED).until(() -> "PAID".equals(this.system.status(orderNo)));
        return paymentNo;
    }

    private String unpaidPayment(String user) {
        String paymentNo = createPayment(awaitingOrder(user));
        this.payments.update("UPDATE payment SET next_query_at = NULL WHERE payment_no = ?", paymentNo);
        return paymentNo;
    }

    private String awaitingOrder(String user) {
        String sku = "SKU-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(this.system.putStock(sku, 300, 3).status()).isEqualTo(200);
        String orderNo = this.system.placeOrder(user + "-" + sku, Map.of(sku, 1));
        await().atMost(CONVERGED).until(() -> "AWAITING_PAYMENT".equals(this.system.status(orderNo)));
        return orderNo;
    }

    private String createPayment(String orderNo) {
        FlowFixtures.Answer created = await().atMost(CONVERGED)
            .until(() -> this.system.createPayment(orderNo), answer -> answer.status() == 201);
        return created.body().get("paymentNo").asString();
    }
}
