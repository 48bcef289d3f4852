package io.tally.payment.reconciliation;

import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.tally.payment.reconciliation.Classification.Action;
import io.tally.payment.reconciliation.Classification.Verdict;
import io.tally.payment.reconciliation.Reconciliations.Kind;
import io.tally.payment.reconciliation.Reconciliations.LocalPayment;
import io.tally.payment.reconciliation.Reconciliations.LocalRefund;

import static org.assertj.core.api.Assertions.assertThat;

/** How a statement line compares with our records: no difference, one for an operator, or a safe repair. */
class ClassificationTests {

    private static final Instant PAID = Instant.parse("2026-12-01T10:00:00Z");

    @ParameterizedTest
    @ValueSource(strings = { "SUCCEEDED", "REFUNDING", "REFUNDED" })
    void aCaptureWeHoldAtTheSameAmountIsNoDifference(String status) {
        assertThat(Classification.payment(payment(status, 700, 700), 700)).isEqualTo(Verdict.NONE);
    }

    @Test
    void aCaptureWeHoldAtAnotherAmountIsAnAmountMismatchForAnOperator() {
        assertThat(Classification.payment(payment("SUCCEEDED", 700, 699), 700))
            .isEqualTo(new Verdict(Kind.AMOUNT_MISMATCH, Action.OPEN));
    }

    @Test
    void aCaptureForATradeWeNeverCreatedIsLeftOpenNeverRepaired() {
        assertThat(Classification.payment(null, 700)).isEqualTo(new Verdict(Kind.MISSING_LOCAL, Action.OPEN));
    }

    @Test
    void aCaptureForAnAbnormalPaymentIsAStatusMismatchForAnOperator() {
        assertThat(Classification.payment(payment("ABNORMAL", 700, 0), 700))
            .isEqualTo(new Verdict(Kind.STATUS_MISMATCH, Action.OPEN));
    }

    @ParameterizedTest
    @ValueSource(strings = { "PAYING", "CLOSED" })
    void aMissedCaptureOfTheAmountAskedIsRepairedThroughTheStateMachine(String status) {
        assertThat(Classification.payment(payment(status, 700, 0), 700)).isEqualTo(new Verdict(Kind.MISSING_LOCAL, Action.REPAIR));
    }

    @ParameterizedTest
    @ValueSource(strings = { "PAYING", "CLOSED" })
    void aMissedCaptureOfAnotherAmountIsNotRepaired(String status) {
        assertThat(Classification.payment(payment(status, 700, 0), 701)).isEqualTo(new Verdict(Kind.AMOUNT_MISMATCH, Action.OPEN));
    }

    @Test
    void aRefundWeHoldConfirmedAtTheSameAmountIsNoDifference() {
        assertThat(Classification.refund(refund("SUCCEEDED", 700), 700)).isEqualTo(Verdict.NONE);
    }

    @Test
    void aRefundWeRequestedButNeverSawConfirmedIsConfirmedByTheSameRequest() {
        assertThat(Classification.refund(refund("REQUESTED", 700), 700)).isEqualTo(new Verdict(Kind.REFUND_MISMATCH, Action.REPAIR));
    }

    @Test
    void aRefundOfAnotherAmountOrOneWeNeverAskedForIsLeftForAnOperator() {
        assertThat(Classification.refund(refund("SUCCEEDED", 699), 700)).isEqualTo(new Verdict(Kind.REFUND_MISMATCH, Action.OPEN));
        assertThat(Classification.refund(refund("REQUESTED", 699), 700)).as("never repaired with another amount")
            .isEqualTo(new Verdict(Kind.REFUND_MISMATCH, Action.OPEN));
        assertThat(Classification.refund(null, 700)).isEqualTo(new Verdict(Kind.REFUND_MISMATCH, Action.OPEN));
    }

    private static LocalPayment payment(String status, long amount, long captured) {
        return new LocalPayment("P1", "O1", status, amount, captured, "PAYING".equals(status) ? null : PAID);
    }

    private static LocalRefund refund(String status, long amount) {
        return new LocalRefund("P1-R1", "P1", amount, status, "SUCCEEDED".equals(status) ? PAID : null);
    }
}
