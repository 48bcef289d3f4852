package io.tally.flow;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.FieldSource;
import tools.jackson.databind.JsonNode;

import org.springframework.jdbc.core.JdbcTemplate;

import io.tally.channel.ChannelMessages.Notification;
import io.tally.channel.PemKeys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole flow on real RabbitMQ and MySQL/MariaDB, through the public HTTP contract: each test ends by
 * checking the invariants of docs/design.md, "Invariants", for its orders.
 */
@ParameterizedClass(name = "through {0}")
@FieldSource("io.tally.flow.FlowFixtures#CHANNELS")
class FlowTests {

    private static final Duration CONVERGED = Duration.ofSeconds(60);

    private final FlowFixtures system = FlowFixtures.system();

    /** The channel this class's payments go through. */
    @Parameter
    String channel;

    @BeforeEach
    void payThroughTheChannel() {
        this.system.useChannel(this.channel);
    }

    @org.junit.jupiter.api.AfterAll
    static void releaseTheSystem() {
        FlowFixtures.release(FlowFixtures.system());
    }

    private final Invariants invariants = new Invariants(this.system);

    @AfterEach
    void clearFaults() {
        this.system.faults(Map.of());
    }

    @Test
    void anOrderPaidInTimeIsPaidWithItsStockSoldAndOneCoupon() {
        String sku = sku();
        this.invariants.stock(sku, 1250, 10);
        String orderNo = this.invariants.place("alice-" + sku, Map.of(sku, 2));
        JsonNode awaiting = awaitStatus(orderNo, "AWAITING_PAYMENT");
        assertThat(awaiting.get("amount").asLong()).isEqualTo(2500);
        assertThat(awaiting.get("currency").asString()).isEqualTo("CNY");
        assertThat(this.system.stock(sku).get("reserved").asInt()).isEqualTo(2);

        String paymentNo = createPayment(orderNo);
        assertThat(this.system.pay(paymentNo, null).status()).isEqualTo(200);

        JsonNode paid = awaitStatus(orderNo, "PAID");
        assertThat(paid.get("paymentNo").asString()).isEqualTo(paymentNo);
        assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(1, 0, 0));
        assertThat(this.system.stock(sku).get("sold").asInt()).isEqualTo(2);
        assertThat(this.system.coupons("alice-" + sku)).hasSize(1);
        assertThat(this.system.ledger(paymentNo).get("captured").asLong()).isEqualTo(2500);
    }

    @Test
    void anOrderForMoreThanTheStockIsCancelledWithItsReasonAndNothingReserved() {
        String sku = sku();
        this.invariants.stock(sku, 100, 1);
        String tooMany = this.invariants.place("bob-" + sku, Map.of(sku, 5));
        String unknown = this.invariants.place("bob-" + sku, Map.of(sku, 1, "no-such-" + sku, 1));

        JsonNode cancelled = awaitStatus(tooMany, "CANCELLED");
        assertThat(cancelled.get("cancelReason").asString()).isEqualTo("OUT_OF_STOCK");
        assertThat(cancelled.get("cancelDetail").asString()).startsWith("INSUFFICIENT_STOCK");
        JsonNode unknownSku = awaitStatus(unknown, "CANCELLED");
        assertThat(unknownSku.get("cancelDetail").asString()).startsWith("UNKNOWN_SKU");
        assertThat(this.system.stock(sku).get("available").asInt()).isEqualTo(1);
        assertThat(this.system.stock(sku).get("reserved").asInt()).isZero();
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 2, 0));
        // only an operator sets stock
        assertThat(this.system.send("PUT", this.system.inventoryUrl + "/api/stock/" + sku,
                Map.of("price", 1, "available", 1000), Map.of()).status()).isEqualTo(401);
        assertThat(this.system.stock(sku).get("available").asInt()).isEqualTo(1);
    }

    /**
     * 240 orders, each paid at the channel with its callback aimed at the order's cancellation time, from 450 ms
     * before to 150 ms after it (the canceller polls every 100 ms): the payment and the cancellation race in both
     * orders. Every order ends paid with its money kept, or cancelled with its money refunded once.
     */
    @Test
    void paymentsLandingAtTheCancellationTimeEndPaidOrRefundedNeverBoth() throws Exception {
        String sku = sku();
        int orders = 240;
        this.invariants.stock(sku, 990, orders);
        List<Callable<String>> flows = new ArrayList<>();
        for (int i = 0; i < orders; i++) {
            String user = "racer-" + i + "-" + sku;
            flows.add(() -> {
                String orderNo = this.invariants.place(user, Map.of(sku, 1));
                JsonNode awaiting = awaitStatus(orderNo, "AWAITING_PAYMENT");
                Instant cancelAt = this.system.instant(awaiting.get("payDeadline")).plus(FlowFixtures.CANCEL_GRACE);
                String paymentNo = createPayment(orderNo);
                long offset = ThreadLocalRandom.current().nextLong(-450, 151);
                long delay = Duration.between(Instant.now(), cancelAt).toMillis() + offset;
                assertThat(this.system.pay(paymentNo, Math.max(0, delay)).status()).isEqualTo(200);
                return orderNo;
            });
        }
        runAll(flows, 24);
        Invariants.Outcome outcome = this.invariants.converged();
        System.out.printf("Race of %d orders: %d paid, %d cancelled (%d of them refunded after capture)%n", orders,
                outcome.paid(), outcome.cancelled(), outcome.cancelledWithMoneyBack());
        assertThat(outcome.paid() + outcome.cancelled()).isEqualTo(orders);
        // When did each callback land, against its order's cancellation time?
        Map<String, Instant> cancelAt = new java.util.HashMap<>();
        this.system.jdbc(this.system.order).query("SELECT order_no, cancel_at FROM customer_order WHERE user_id LIKE ?",
                (java.sql.ResultSet rs) -> {
                    cancelAt.put(rs.getString(1), rs.getObject(2, java.time.LocalDateTime.class).toInstant(java.time.ZoneOffset.UTC));
                }, "racer-%-" + sku);
        long[] before = new long[2];
        long[] after = new long[2];
        this.system.jdbc(this.system.payment).query("""
                SELECT p.order_no, c.received_at, p.status FROM channel_callback c JOIN payment p ON p.payment_no = c.out_trade_no""",
                (java.sql.ResultSet rs) -> {
                    Instant due = cancelAt.get(rs.getString(1));
                    if (due != null) {
                        Instant landed = rs.getObject(2, java.time.LocalDateTime.class).toInstant(java.time.ZoneOffset.UTC);
                        int won = "SUCCEEDED".equals(rs.getString(3)) ? 0 : 1;
                        (landed.isBefore(due) ? before : after)[won]++;
                    }
                });
        System.out.printf("Callbacks landed before the cancellation time: %d (payment won %d, cancel won %d); after it: %d "
                + "(payment won %d, cancel won %d)%n", before[0] + before[1], before[0], before[1], after[0] + after[1],
                after[0], after[1]);
        assertThat(before[0] + before[1]).as("callbacks that landed before their cancellation time").isPositive();
        assertThat(after[0] + after[1]).as("callbacks that landed after their cancellation time").isPositive();
        assertThat(outcome.paid()).as("payments that won the race").isPositive();
        assertThat(outcome.cancelledWithMoneyBack()).as("cancellations that won over captured money").isPositive();
        assertThat(outcome.cancelledWithMoneyBack()).as("every order was paid at the channel: each cancelled one had "
                + "money captured, which came back").isEqualTo(outcome.cancelled());
    }

    @Test
    void fiveConcurrentCopiesOfACallbackHaveOneEffectAndGrantOneCoupon() {
        String sku = sku();
        this.invariants.stock(sku, 500, 5);
        String orderNo = this.invariants.place("carol-" + sku, Map.of(sku, 1));
        awaitStatus(orderNo, "AWAITING_PAYMENT");
        String paymentNo = createPayment(orderNo);
        this.system.faults(Map.of("duplicateCallbacks", 1, "duplicateCopies", 5));
        this.system.pay(paymentNo, null);

        awaitStatus(orderNo, "PAID");
        JdbcTemplate payments = this.system.jdbc(this.system.payment);
        await().atMost(CONVERGED).untilAsserted(() -> assertThat(payments.queryForObject(
                "SELECT deliveries FROM channel_callback WHERE out_trade_no = ?", Integer.class, paymentNo)).isEqualTo(5));
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(1, 0, 0));
        // The copies really were handled at the same time: the exchange log shows overlapping callbacks.
        List<long[]> handled = payments.query("""
                SELECT started_at, duration_ms FROM channel_exchange WHERE direction = 'INBOUND' AND out_trade_no = ?""",
                (rs, n) -> {
                    long start = rs.getObject(1, java.time.LocalDateTime.class).toInstant(java.time.ZoneOffset.UTC).toEpochMilli();
                    return new long[] { start, start + rs.getLong(2) };
                }, paymentNo);
        assertThat(handled).hasSize(5);
        assertThat(maxOverlap(handled)).as("copies of the callback in payment-service at once").isGreaterThanOrEqualTo(2);
        assertThat(this.system.coupons("carol-" + sku)).hasSize(1);
        assertThat(this.system.jdbc(this.system.order).queryForObject(
                "SELECT COUNT(*) FROM tally_outbox WHERE aggregate_id = ? AND event_type = 'order.paid'", Integer.class,
                orderNo)).isEqualTo(1);
    }

    @Test
    void aTamperedAmountMakesThePaymentAbnormalNeverSucceededAndTheMoneyGoesBack() {
        String sku = sku();
        this.invariants.stock(sku, 700, 5);
        String orderNo = this.invariants.place("dave-" + sku, Map.of(sku, 1));
        awaitStatus(orderNo, "AWAITING_PAYMENT");
        String paymentNo = createPayment(orderNo);
        this.system.faults(Map.of("tamperAmount", true));
        this.system.pay(paymentNo, null);

        await().atMost(CONVERGED)
            .untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("ABNORMAL"));
        assertThat(this.system.payment(paymentNo).get("abnormalReason").asString()).contains("amount 701");
        await().atMost(CONVERGED)
            .untilAsserted(() -> assertThat(this.system.order(orderNo).get("paymentAlert").asString()).contains("abnormal"));
        this.system.faults(Map.of());
        // Never paid: the order times out, and the money the channel did capture is refunded.
        JsonNode cancelled = awaitStatus(orderNo, "CANCELLED");
        assertThat(cancelled.get("cancelReason").asString()).isEqualTo("TIMEOUT");
        await().atMost(CONVERGED)
            .untilAsserted(() -> assertThat(this.system.ledger(paymentNo).get("refunded").asLong()).isEqualTo(700));
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 1));
        assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("ABNORMAL");
        assertThat(this.system.payment.getBean(io.micrometer.core.instrument.MeterRegistry.class)
            .counter("tally.payment.abnormal").count()).isPositive();
        assertThat(this.system.jdbc(this.system.payment).queryForObject(
                "SELECT COUNT(*) FROM tally_outbox WHERE aggregate_id = ? AND event_type = 'payment.succeeded'",
                Integer.class, orderNo)).isZero();
    }

    /**
     * A notification signed with another key is refused (401) and changes nothing, and so is a stale one where the
     * channel dates its notifications (the simulator and WeChat Pay sign a timestamp; Alipay does not). A genuine
     * notification sent again is refused where the channel's nonces are single-use (the simulator), and is a
     * duplicate with no second effect elsewhere.
     */
    @Test
    void aForgedCallbackIsRefusedAndAReplayedOneToo() {
        String sku = sku();
        this.invariants.stock(sku, 300, 5);
        String orderNo = this.invariants.place("eve-" + sku, Map.of(sku, 1));
        awaitStatus(orderNo, "AWAITING_PAYMENT");
        String paymentNo = createPayment(orderNo);
        String tradeNo = this.system.ledger(paymentNo).get("tradeNo").asString();
        Notification genuine = new Notification("N-forged-" + paymentNo, this.system.merchantId(), paymentNo, tradeNo, 300,
                "CNY", Notification.TRADE_SUCCESS, Instant.now());
        double refusedBefore = refusedCallbacks();

        var forger = PemKeys.generate();
        assertThat(this.system.notify(this.system.notifier.write(this.channel, genuine, forger.getPrivate())).status())
            .isEqualTo(401);
        int refusals = 1;
        if (!this.channel.equals("alipay")) {
            FlowFixtures.Answer stale = this.system.notify(this.system.notifier.write(this.channel, genuine,
                    this.system.channelKeys.getPrivate(), Instant.now().minus(Duration.ofMinutes(10)), "n" + UUID.randomUUID()));
            assertThat(stale.status()).isEqualTo(401);
            refusals++;
        }
        assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("PAYING");
        assertThat(this.system.jdbc(this.system.payment).queryForObject(
                "SELECT COUNT(*) FROM channel_callback WHERE out_trade_no = ?", Integer.class, paymentNo)).isZero();
        assertThat(refusedCallbacks()).isEqualTo(refusedBefore + refusals);

        // The user really pays; the channel's genuine callback applies; the same send replayed has no other effect.
        this.system.faults(Map.of("captureWithoutCallback", true));
        this.system.pay(paymentNo, null);
        Notifier.Sent send = this.system.notifier.write(this.channel, genuine, this.system.channelKeys.getPrivate());
        FlowFixtures.Answer first = this.system.notify(send);
        assertThat(first.status()).isBetween(200, 204);
        FlowFixtures.Answer replayed = this.system.notify(send);
        assertThat(replayed.status()).isEqualTo(this.channel.equals("simulator") ? 401 : first.status());
        assertThat(this.system.jdbc(this.system.payment).queryForObject(
                "SELECT deliveries FROM channel_callback WHERE notification_id = ?", Integer.class, genuine.notificationId()))
            .as("a replay refused (simulator), or stored as a second delivery of the same notification")
            .isEqualTo(this.channel.equals("simulator") ? 1 : 2);
        awaitStatus(orderNo, "PAID");
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(1, 0, 0));
    }

    /**
     * A signed callback claiming another amount for a payment already refunded is recorded and alerted, but what it
     * claims is not taken for what was captured: the payment keeps the amount the channel captured, and
     * reconciliation finds nothing to report (a tampered copy once overwrote it, seen in the system test).
     */
    @Test
    void aCallbackWithAnotherAmountForARefundedPaymentLeavesWhatWasCapturedAsItWas() {
        String sku = sku();
        this.invariants.stock(sku, 300, 2);
        String orderNo = this.invariants.place("zoe-" + sku, Map.of(sku, 1));
        awaitStatus(orderNo, "AWAITING_PAYMENT");
        String paymentNo = createPayment(orderNo);
        this.system.faults(Map.of("captureWithoutCallback", true));
        try {
            assertThat(this.system.pay(paymentNo, null).status()).isEqualTo(200);
        }
        finally {
            this.system.faults(Map.of());
        }
        assertThat(this.system.cancel(orderNo).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(60))
            .untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("REFUNDED"));
        var payments = this.system.jdbc(this.system.payment);
        assertThat(payments.queryForObject("SELECT captured_amount FROM payment WHERE payment_no = ?", Long.class, paymentNo))
            .isEqualTo(300);

        String trade = this.system.payment(paymentNo).get("channelTradeNo").asString();
        FlowFixtures.Answer answer = this.system.notify(this.system.notifier.write(this.channel,
                new Notification("N-tampered-" + paymentNo, this.system.merchantId(), paymentNo, trade, 301, "CNY",
                        Notification.TRADE_SUCCESS, Instant.now()),
                this.system.channelKeys.getPrivate()));
        assertThat(answer.status()).isBetween(200, 204);
        assertThat(payments.queryForObject("SELECT outcome FROM channel_callback WHERE notification_id = ?", String.class,
                "N-tampered-" + paymentNo)).isEqualTo("abnormal callback for a payment already REFUNDED: amount 301 where 300 was asked");
        assertThat(payments.queryForObject("SELECT captured_amount FROM payment WHERE payment_no = ?", Long.class, paymentNo))
            .as("what the channel captured, not what the callback claims").isEqualTo(300);
        assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("REFUNDED");
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 1));
    }

    /**
     * Signed callbacks that are not ours (another merchant, another trade, another currency) are refused and change
     * nothing: the payments stay PAYING, and the users' genuine payments then apply as if nothing had come.
     */
    @Test
    void aSignedCallbackForAnotherMerchantTradeOrCurrencyIsRefusedAndTheGenuineOneApplies() {
        String sku = sku();
        this.invariants.stock(sku, 300, 5);
        List<String> orders = List.of(this.invariants.place("walt-" + sku, Map.of(sku, 1)),
                this.invariants.place("xena-" + sku, Map.of(sku, 1)), this.invariants.place("yuri-" + sku, Map.of(sku, 1)));
        List<String> payments = new ArrayList<>();
        for (String orderNo : orders) {
            awaitStatus(orderNo, "AWAITING_PAYMENT");
            payments.add(createPayment(orderNo));
        }
        String merchantTrade = this.system.ledger(payments.get(0)).get("tradeNo").asString();
        String currencyTrade = this.system.ledger(payments.get(2)).get("tradeNo").asString();
        List<Notification> notOurs = new ArrayList<>(List.of(
                new Notification("N-m-" + payments.get(0), "M999", payments.get(0), merchantTrade, 300, "CNY",
                        Notification.TRADE_SUCCESS, Instant.now())));
        if (this.channel.equals("simulator")) {
            // the simulator gives its trade number when the trade opens; Alipay and WeChat Pay only with the payment
            notOurs.add(new Notification("N-t-" + payments.get(1), this.system.merchantId(), payments.get(1),
                    "T-not-this-trade", 300, "CNY", Notification.TRADE_SUCCESS, Instant.now()));
        }
        if (!this.channel.equals("alipay")) {
            // Alipay's domestic notifications carry no currency: they are in yuan
            notOurs.add(new Notification("N-c-" + payments.get(2), this.system.merchantId(), payments.get(2), currencyTrade,
                    300, "USD", Notification.TRADE_SUCCESS, Instant.now()));
        }
        for (Notification notification : notOurs) {
            FlowFixtures.Answer answer = this.system.notify(this.system.notifier.write(this.channel, notification,
                    this.system.channelKeys.getPrivate()));
            assertThat(answer.status()).as("a callback that is not ours is refused: " + notification).isEqualTo(403);
        }
        for (String paymentNo : payments) {
            assertThat(this.system.payment(paymentNo).get("status").asString()).as("left as it was").isEqualTo("PAYING");
        }

        for (String paymentNo : payments) {
            assertThat(this.system.pay(paymentNo, null).status()).isEqualTo(200);
        }
        for (String orderNo : orders) {
            awaitStatus(orderNo, "PAID");
        }
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(3, 0, 0));
    }

    /**
     * The exchange log records every callback the endpoint processes, however its path is spelled and however long
     * its fields are (cut, with a marker), and the refusal of one too large to take.
     */
    @Test
    void everyCallbackIsInTheExchangeLogWhateverItsPathSpellingOrFieldLengthsAndAnOversizedOneIsRefused() {
        String sku = sku();
        this.invariants.stock(sku, 300, 5);
        String orderNo = this.invariants.place("zack-" + sku, Map.of(sku, 1));
        awaitStatus(orderNo, "AWAITING_PAYMENT");
        String paymentNo = createPayment(orderNo);
        String trade = this.system.ledger(paymentNo).get("tradeNo").asString();
        JdbcTemplate log = this.system.jdbc(this.system.payment);
        java.security.PrivateKey key = this.system.channelKeys.getPrivate();

        // the endpoint's path percent-encoded: processed (a callback not ours: 403), and logged under its payment
        Notifier.Sent notOurs = this.system.notifier.write(this.channel, new Notification("N-z-" + paymentNo, "M999",
                paymentNo, trade, 300, "CNY", Notification.TRADE_SUCCESS, Instant.now()), key);
        assertThat(this.system.notify(notOurs.path().replace("/callbacks", "/callback%73"), notOurs).status())
            .isEqualTo(403);
        assertThat(log.queryForObject("SELECT COUNT(*) FROM channel_exchange WHERE direction = 'INBOUND' AND out_trade_no = ?"
                + " AND response_status = 403", Integer.class, paymentNo)).isEqualTo(1);

        // a trade number longer than its column: refused (400), and logged with the number cut and marked
        String longTrade = paymentNo + "9".repeat(300 - paymentNo.length()); // its first 35 characters this test's
        Notifier.Sent tooLong = this.system.notifier.write(this.channel, new Notification("N-long-" + paymentNo,
                this.system.merchantId(), longTrade, trade, 300, "CNY", Notification.TRADE_SUCCESS, Instant.now()), key);
        assertThat(this.system.notify(tooLong).status()).isEqualTo(400);
        assertThat(log.queryForObject("SELECT COUNT(*) FROM channel_exchange WHERE out_trade_no = ? AND response_status = 400",
                Integer.class, longTrade.substring(0, 35) + "[cut]")).isEqualTo(1);

        // a body over the endpoint's limit: refused (413) without being read, and logged
        Notifier.Sent sent = this.system.notifier.write(this.channel, new Notification("N-huge-" + paymentNo,
                this.system.merchantId(), paymentNo, trade, 300, "CNY", Notification.TRADE_SUCCESS, Instant.now()), key);
        Notifier.Sent huge = new Notifier.Sent(sent.path(), sent.contentType(), sent.headers(),
                sent.body() + (sent.contentType().startsWith("application/json") ? " ".repeat(70_000) : "&pad=" + "x".repeat(70_000)));
        assertThat(this.system.notify(huge).status()).isEqualTo(413);
        assertThat(log.queryForObject("SELECT COUNT(*) FROM channel_exchange WHERE direction = 'INBOUND'"
                + " AND response_status = 413 AND error LIKE 'refused: body over%'", Integer.class)).isPositive();

        assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("PAYING");
        assertThat(this.system.pay(paymentNo, null).status()).isEqualTo(200);
        awaitStatus(orderNo, "PAID");
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(1, 0, 0));
    }

    @Test
    void aCloseThatAnswersAlreadyPaidRefundsOnce() {
        String sku = sku();
        this.invariants.stock(sku, 820, 5);
        String orderNo = this.invariants.place("frank-" + sku, Map.of(sku, 1));
        awaitStatus(orderNo, "AWAITING_PAYMENT");
        String paymentNo = createPayment(orderNo);
        this.system.faults(Map.of("captureWithoutCallback", true));
        this.system.pay(paymentNo, null);

        assertThat(this.system.cancel(orderNo).status()).isEqualTo(200);
        await().atMost(CONVERGED).untilAsserted(() -> {
            assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("REFUNDED");
            assertThat(this.system.order(orderNo).get("refundedAmount").asLong()).isEqualTo(820);
        });
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 1));
        JsonNode trade = this.system.ledger(paymentNo);
        assertThat(trade.get("refunds")).hasSize(1);
        assertThat(trade.get("refunds").get(0).get("refundNo").asString()).isEqualTo(paymentNo + "-R1");
    }

    @Test
    void aSuccessCallbackAfterTheCloseRefundsOnce() {
        String sku = sku();
        this.invariants.stock(sku, 640, 5);
        String orderNo = this.invariants.place("grace-" + sku, Map.of(sku, 1));
        awaitStatus(orderNo, "AWAITING_PAYMENT");
        String paymentNo = createPayment(orderNo);
        assertThat(this.system.cancel(orderNo).status()).isEqualTo(200);
        if (this.channel.equals("alipay")) {
            // Alipay cannot close a QR trade nobody scanned: it stays payable until it expires, so the user pays it
            // after the cancellation, its callback three times over
            this.system.faults(Map.of("duplicateCallbacks", 1, "duplicateCopies", 3));
        }
        else {
            await().atMost(CONVERGED)
                .untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("CLOSED"));
            // The user's payment was in flight at the channel when the trade was closed: captured after close.
            this.system.faults(Map.of("captureAfterClose", true, "duplicateCallbacks", 1, "duplicateCopies", 3));
        }
        assertThat(this.system.pay(paymentNo, null).status()).isEqualTo(200);
        await().atMost(CONVERGED)
            .untilAsserted(() -> assertThat(this.system.payment(paymentNo).get("status").asString()).isEqualTo("REFUNDED"));
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 1));
        assertThat(this.system.ledger(paymentNo).get("refunds")).hasSize(1);
        assertThat(this.system.status(orderNo)).isEqualTo("CANCELLED");
    }

    /**
     * 30 users pay and then cancel, each after a delay of 0 to 600 ms, while the payment's callback travels to the
     * order (about 100 to 300 ms here): some cancels come first and some payments do, and every order ends paid
     * with its money kept, or cancelled with its money refunded once.
     */
    @Test
    void aUserCancelRacingAPaymentEndsPaidOrRefunded() throws Exception {
        String sku = sku();
        int orders = 30;
        this.invariants.stock(sku, 450, orders);
        ScheduledExecutorService cancels = Executors.newScheduledThreadPool(4);
        List<Callable<Void>> races = new ArrayList<>();
        for (int i = 0; i < orders; i++) {
            String user = "henry-" + i + "-" + sku;
            long cancelAfter = i * 600L / orders;
            races.add(() -> {
                String orderNo = this.invariants.place(user, Map.of(sku, 1));
                awaitStatus(orderNo, "AWAITING_PAYMENT");
                String paymentNo = createPayment(orderNo);
                assertThat(this.system.pay(paymentNo, 0L).status()).isEqualTo(200);
                ScheduledFuture<FlowFixtures.Answer> cancel = cancels.schedule(() -> this.system.cancel(orderNo),
                        cancelAfter, TimeUnit.MILLISECONDS);
                assertThat(cancel.get(30, TimeUnit.SECONDS).status()).as("cancel answered: done, or too late").isIn(200, 409);
                return null;
            });
        }
        try {
            runAll(races, 10);
        }
        finally {
            cancels.shutdown();
        }
        Invariants.Outcome outcome = this.invariants.converged();
        assertThat(outcome.paid() + outcome.cancelled()).isEqualTo(orders);
        assertThat(outcome.paid()).as("payments that won over the user's cancel").isPositive();
        assertThat(outcome.cancelledWithMoneyBack()).as("cancels that won over captured money").isPositive();
        assertThat(outcome.cancelledWithMoneyBack()).as("every cancelled order was paid first: its money came back")
            .isEqualTo(outcome.cancelled());
    }

    @Test
    void anIdempotencyKeyReusedReplaysTheFirstOrderOrIsRefusedForAnotherBody() {
        String sku = sku();
        this.invariants.stock(sku, 100, 5);
        String key = UUID.randomUUID().toString();
        FlowFixtures.Answer first = this.system.placeOrder(key, "ivan-" + sku, Map.of(sku, 1));
        FlowFixtures.Answer again = this.system.placeOrder(key, "ivan-" + sku, Map.of(sku, 1));
        FlowFixtures.Answer other = this.system.placeOrder(key, "ivan-" + sku, Map.of(sku, 2));

        assertThat(first.status()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.body().get("orderNo").asString()).isEqualTo(first.body().get("orderNo").asString());
        assertThat(other.status()).isEqualTo(422);
        assertThat(other.body().get("type").asString()).endsWith("idempotency-key-reused");
        // once the stored response is gone (its retention passed), the order itself still knows its key and request
        this.system.jdbc(this.system.order).update("DELETE FROM tally_idempotent_request WHERE idempotency_key = ?", key);
        FlowFixtures.Answer later = this.system.placeOrder(key, "ivan-" + sku, Map.of(sku, 2));
        assertThat(later.status()).isEqualTo(422);
        assertThat(later.body().get("type").asString()).endsWith("idempotency-key-reused");
        this.system.jdbc(this.system.order).update("DELETE FROM tally_idempotent_request WHERE idempotency_key = ?", key);
        FlowFixtures.Answer same = this.system.placeOrder(key, "ivan-" + sku, Map.of(sku, 1));
        assertThat(same.status()).as("the same request again: its order").isEqualTo(201);
        assertThat(same.body().get("orderNo").asString()).isEqualTo(first.body().get("orderNo").asString());
        assertThat(this.system.jdbc(this.system.order).queryForObject(
                "SELECT COUNT(*) FROM customer_order WHERE user_id = ?", Integer.class, "ivan-" + sku)).isEqualTo(1);
        FlowFixtures.Answer missing = this.system.send("POST", this.system.orderUrl + "/api/orders",
                Map.of("userId", "ivan", "items", List.of(Map.of("sku", sku, "quantity", 1))), Map.of());
        assertThat(missing.status()).isEqualTo(400);
        this.invariants.track(first.body().get("orderNo").asString(), "ivan-" + sku, Map.of(sku, 1));
        this.system.cancel(first.body().get("orderNo").asString());
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 0));
    }

    /** Keys compare byte for byte: another user's key that differs only in letter case is another key. */
    @Test
    void anIdempotencyKeyDifferingOnlyInLetterCaseIsAnotherKeyWithAnOrderOfItsOwn() {
        String sku = sku();
        this.invariants.stock(sku, 100, 5);
        String key = "Order-Key-" + UUID.randomUUID();
        FlowFixtures.Answer upper = this.system.placeOrder(key, "uma-" + sku, Map.of(sku, 1));
        FlowFixtures.Answer lower = this.system.placeOrder(key.toLowerCase(), "vera-" + sku, Map.of(sku, 2));

        assertThat(upper.status()).isEqualTo(201);
        assertThat(lower.status()).isEqualTo(201);
        assertThat(lower.header("Idempotent-Replayed")).isNull();
        assertThat(lower.body().get("orderNo").asString()).isNotEqualTo(upper.body().get("orderNo").asString());
        assertThat(lower.body().get("userId").asString()).as("vera's order, not uma's").isEqualTo("vera-" + sku);
        this.invariants.track(upper.body().get("orderNo").asString(), "uma-" + sku, Map.of(sku, 1));
        this.invariants.track(lower.body().get("orderNo").asString(), "vera-" + sku, Map.of(sku, 2));
        this.system.cancel(upper.body().get("orderNo").asString());
        this.system.cancel(lower.body().get("orderNo").asString());
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 2, 0));
    }

    @Test
    void aPaymentAttemptedAfterTheShownDeadlineIsRefused() {
        String sku = sku();
        this.invariants.stock(sku, 100, 5);
        String orderNo = this.invariants.place("judy-" + sku, Map.of(sku, 1));
        JsonNode awaiting = awaitStatus(orderNo, "AWAITING_PAYMENT");
        Instant deadline = this.system.instant(awaiting.get("payDeadline"));
        // A payment created in time, whose trade expires at the shown deadline.
        String early = createPayment(orderNo);
        await().atMost(CONVERGED).until(() -> Instant.now().isAfter(deadline.plusMillis(50)));

        FlowFixtures.Answer late = this.system.createPayment(orderNo);
        assertThat(late.status()).isEqualTo(409);
        assertThat(late.body().get("type").asString()).endsWith("order-not-payable");
        assertThat(this.system.pay(early, null).status()).as("the channel refuses to take money after expiry")
            .isEqualTo(409);
        JsonNode cancelled = awaitStatus(orderNo, "CANCELLED");
        assertThat(cancelled.get("cancelReason").asString()).isEqualTo("TIMEOUT");
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 0));
    }

    /**
     * Eight cancellers, as eight instances' pollers would run, released together on an order whose time has come:
     * exactly one cancels it, and the others really were racing it (their calls overlapped in time). The
     * service's own poller is held meanwhile, so that it cannot win before the race begins.
     */
    @Test
    void severalCancellersRacingOnADueOrderCancelItOnce() throws Exception {
        String sku = sku();
        this.invariants.stock(sku, 100, 5);
        String orderNo = this.invariants.place("kate-" + sku, Map.of(sku, 1));
        var poller = this.system.order.getBean("orderTimeouts", io.tally.maintenance.PeriodicTask.class);
        poller.stop();
        long[][] calls = new long[8][2];
        long won;
        try {
            JsonNode awaiting = awaitStatus(orderNo, "AWAITING_PAYMENT");
            Instant cancelAt = this.system.instant(awaiting.get("payDeadline")).plus(FlowFixtures.CANCEL_GRACE);
            var orders = this.system.order.getBean(io.tally.order.orders.OrderService.class);
            await().atMost(CONVERGED).until(() -> !Instant.now().isBefore(cancelAt));
            CyclicBarrier start = new CyclicBarrier(8);
            List<Callable<Boolean>> cancellers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                cancellers.add(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    calls[n][0] = System.nanoTime();
                    boolean cancelled = orders.timeOut(orderNo);
                    calls[n][1] = System.nanoTime();
                    return cancelled;
                });
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                won = 0;
                for (Future<Boolean> result : pool.invokeAll(cancellers)) {
                    won += result.get() ? 1 : 0;
                }
            }
            finally {
                pool.shutdown();
            }
        }
        finally {
            poller.start();
        }
        assertThat(won).as("cancellers that won").isEqualTo(1);
        assertThat(maxOverlap(java.util.Arrays.asList(calls))).as("cancellers in the race at once").isGreaterThanOrEqualTo(2);
        awaitStatus(orderNo, "CANCELLED");
        assertThat(this.system.jdbc(this.system.order).queryForObject(
                "SELECT COUNT(*) FROM tally_outbox WHERE aggregate_id = ? AND event_type = 'order.cancelled'",
                Integer.class, orderNo)).isEqualTo(1);
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(0, 1, 0));
    }

    /** The most intervals ({@code [start, end]}) that overlap at one instant. */
    static int maxOverlap(List<long[]> intervals) {
        int most = 0;
        for (long[] at : intervals) {
            int overlapping = 0;
            for (long[] other : intervals) {
                if (other[0] <= at[0] && at[0] <= other[1]) {
                    overlapping++;
                }
            }
            most = Math.max(most, overlapping);
        }
        return most;
    }

    /** Runs the tasks on that many threads and rethrows the first failure. */
    private static <T> void runAll(List<Callable<T>> tasks, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (Future<T> task : pool.invokeAll(tasks)) {
                task.get();
            }
        }
        finally {
            pool.shutdown();
        }
    }

    private double refusedCallbacks() {
        return this.system.payment.getBean(io.micrometer.core.instrument.MeterRegistry.class)
            .counter("tally.payment.callbacks.refused").count();
    }

    private String createPayment(String orderNo) {
        return this.system.awaitPayment(orderNo);
    }

    private JsonNode awaitStatus(String orderNo, String status) {
        return this.system.awaitStatus(orderNo, status);
    }

    private static String sku() {
        return "SKU-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
