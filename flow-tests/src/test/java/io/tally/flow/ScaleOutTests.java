package io.tally.flow;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.FieldSource;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Active queries live in the database, not in a process: they survive a restart of payment-service, and two
 * instances of it share them without querying any payment twice for one attempt.
 */
@ParameterizedClass(name = "through {0}")
@FieldSource("io.tally.flow.FlowFixtures#CHANNELS")
class ScaleOutTests {

    private static final Duration CONVERGED = Duration.ofSeconds(60);

    private final FlowFixtures system = FlowFixtures.scaleOutSystem();

    /** The channel this class's payments go through. */
    @Parameter
    String channel;

    @BeforeEach
    void payThroughTheChannel() {
        this.system.useChannel(this.channel);
    }

    @org.junit.jupiter.api.AfterAll
    static void releaseTheSystem() {
        FlowFixtures.release(FlowFixtures.scaleOutSystem());
    }

    private final Invariants invariants = new Invariants(this.system);

    @AfterEach
    void clearFaults() {
        this.system.faults(Map.of());
    }

    @Test
    void anActiveQueryScheduledBeforeARestartIsAskedByTheRestartedService() {
        String orderNo = awaitingOrder("uma");
        String paymentNo = this.system.awaitPayment(orderNo);
        this.system.faults(Map.of("dropCallbacks", 1));
        assertThat(this.system.pay(paymentNo, null).status()).isEqualTo(200);

        // the first query is due 6 s after the payment was created: after payment-service is gone
        Instant stopped = Instant.now();
        this.system.restartPayment();

        this.system.awaitStatus(orderNo, "PAID");
        JdbcTemplate payments = this.system.jdbc(this.system.payment);
        assertThat(payments.queryForObject("SELECT last_query_result FROM payment WHERE payment_no = ?", String.class,
                paymentNo)).isEqualTo("paid, found by query");
        List<Instant> queried = queries(payments, paymentNo);
        assertThat(queried).hasSize(1);
        assertThat(queried.get(0)).as("asked after the restart").isAfter(stopped);
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(1, 0, 0));
    }

    @Test
    void twoInstancesShareTheActiveQueriesAndNeverAskOneAttemptTwice() throws Exception {
        ConfigurableApplicationContext second = this.system.startPaymentInstance();
        try {
            int orders = 8;
            List<String> paymentNos = new ArrayList<>();
            List<String> orderNos = new ArrayList<>();
            for (int i = 0; i < orders; i++) {
                String orderNo = awaitingOrder("vic" + i);
                orderNos.add(orderNo);
                paymentNos.add(this.system.awaitPayment(orderNo));
            }
            double firstBefore = queryCount(this.system.payment);
            double secondBefore = queryCount(second);
            // no callback at all; the first queries fail, so that each payment needs two or three of them
            this.system.faults(Map.of("dropCallbacks", orders, "failQueries", orders));
            for (String paymentNo : paymentNos) {
                assertThat(this.system.pay(paymentNo, null).status()).isEqualTo(200);
            }
            for (String orderNo : orderNos) {
                this.system.awaitStatus(orderNo, "PAID");
            }

            JdbcTemplate payments = this.system.jdbc(this.system.payment);
            int asked = 0;
            for (String paymentNo : paymentNos) {
                int attempts = payments.queryForObject("SELECT query_attempts FROM payment WHERE payment_no = ?",
                        Integer.class, paymentNo);
                assertThat(queries(payments, paymentNo)).as("queries of %s, one per attempt", paymentNo).hasSize(attempts);
                asked += attempts;
            }
            double byFirst = queryCount(this.system.payment) - firstBefore;
            double bySecond = queryCount(second) - secondBefore;
            assertThat(byFirst).as("queries asked by the first instance").isPositive();
            assertThat(bySecond).as("queries asked by the second instance").isPositive();
            assertThat(byFirst + bySecond).as("queries asked in all").isEqualTo(asked);
            assertThat(asked).as("every payment queried, the failed queries too").isGreaterThanOrEqualTo(orders + orders);
        }
        finally {
            second.close();
        }
        assertThat(this.invariants.converged()).isEqualTo(new Invariants.Outcome(8, 0, 0));
    }

    private static double queryCount(ConfigurableApplicationContext payment) {
        return payment.getBean(MeterRegistry.class).counter("tally.payment.queries").count();
    }

    /**
     * When each query of the payment was sent to the channel, from the exchange log: the simulator's and WeChat
     * Pay's are GETs of the trade, Alipay's a POST of {@code alipay.trade.query}.
     */
    private static List<Instant> queries(JdbcTemplate payments, String paymentNo) {
        return payments.query("""
                SELECT started_at FROM channel_exchange
                WHERE direction = 'OUTBOUND' AND out_trade_no = ?
                    AND ((method = 'GET' AND endpoint NOT LIKE '/v3/refund/%') OR endpoint LIKE '%?method=alipay.trade.query')
                ORDER BY id""",
                (rs, n) -> rs.getObject(1, LocalDateTime.class).toInstant(ZoneOffset.UTC), paymentNo);
    }

    private String awaitingOrder(String user) {
        String sku = "SKU-" + UUID.randomUUID().toString().substring(0, 8);
        this.invariants.stock(sku, 300, 3);
        String orderNo = this.invariants.place(user + "-" + sku, Map.of(sku, 1));
        this.system.awaitStatus(orderNo, "AWAITING_PAYMENT");
        return orderNo;
    }
}
