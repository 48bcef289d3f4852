package io.tally.flow;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.FieldSource;

import org.springframework.jdbc.core.JdbcTemplate;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A payment made in time is applied before the cancellation even when its callback is lost: a payment still
 * without an answer is queried at the deadline shown to the user (and again in the grace), whatever its regular
 * schedule says (an hour, in this system).
 */
@ParameterizedClass(name = "through {0}")
@FieldSource("io.tally.flow.FlowFixtures#CHANNELS")
class DeadlineQueryTests {

    private final FlowFixtures system = FlowFixtures.deadlineSystem();

    /** The channel this class's payments go through. */
    @Parameter
    String channel;

    @BeforeEach
    void payThroughTheChannel() {
        this.system.useChannel(this.channel);
    }

    @org.junit.jupiter.api.AfterAll
    static void releaseTheSystem() {
        FlowFixtures.release(FlowFixtures.deadlineSystem());
    }

    private final Invariants invariants = new Invariants(this.system);

    private final JdbcTemplate payments = this.system.jdbc(this.system.payment);

    @AfterEach
    void clearFaults() {
        this.system.faults(Map.of());
    }

    @Test
    void aPaymentMadeInTimeWhoseCallbackIsLostIsFoundAtTheDeadlineAndTheOrderIsPaid() {
        String sku = "SKU-" + UUID.randomUUID().toString().substring(0, 8);
        this.invariants.stock(sku, 300, 3);
        String orderNo = this.invariants.place("nora-" + sku, Map.of(sku, 1));
        JsonNode awaiting = this.system.awaitStatus(orderNo, "AWAITING_PAYMENT");
        Instant deadline = this.system.instant(awaiting.get("payDeadline"));
        String paymentNo = this.system.awaitPayment(orderNo);
        this.system.faults(Map.of("dropCallbacks", 1));
        assertThat(this.system.pay(paymentNo, null).status()).isEqualTo(200);

        JsonNode paid = this.system.awaitStatus(orderNo, "PAID");

        assertThat(this.payments.queryForObject("SELECT last_query_result FROM payment WHERE payment_no = ?", String.class,
                paymentNo)).isEqualTo("paid, found by query");
        assertThat(this.payments.queryForObject("SELECT query_attempts FROM payment WHERE payment_no = ?", Integer.class,
                paymentNo)).as("queried once, at the deadline").isEqualTo(1);
        assertThat(this.system.instant(this.system.payment(paymentNo).get("paidAt"))).isBefore(deadline);
        assertThat(this.system.ledger(paymentNo).get("callbacksSent").asInt()).as("the callback was lost").isZero();
        assertThat(paid.get("status").asString()).isEqualTo("PAID");
        assertThat(this.invariants.converged()).as("paid, no refund").isEqualTo(new Invariants.Outcome(1, 0, 0));
    }
}
