package io.tally.payment.refunds;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The refund's state machine, its number, and the texts its attempts answer, as plain code. */
class RefundTests {

    @Test
    void eachRefundStateIsReachedOnlyFromTheStatesTheDesignAllows() {
        assertThat(RefundStatus.REQUESTED.from()).isEmpty();
        assertThat(RefundStatus.SUCCEEDED.from()).containsExactly(RefundStatus.REQUESTED);
        assertThat(RefundStatus.SUCCEEDED.fromNames()).containsExactly("REQUESTED");
    }

    @Test
    void theRefundNumberIsDerivedFromThePaymentSoEveryRequestForItIsTheSameRequest() {
        assertThat(Refunds.refundNo("P123")).isEqualTo("P123-R1").isEqualTo(Refunds.refundNo("P123"));
    }

    @Test
    void anAttemptAnswersTheTextsTheOperatorAndReconciliationSee() {
        assertThat(RefundResult.of(RefundResult.Kind.REFUNDED).text()).isEqualTo("refunded");
        assertThat(RefundResult.of(RefundResult.Kind.NOT_PENDING).text()).isEqualTo("not pending");
        assertThat(new RefundResult(RefundResult.Kind.REFUSED, "409 CONFLICT {}").text()).isEqualTo("refused: 409 CONFLICT {}");
        assertThat(RefundResult.of(RefundResult.Kind.FAILED_FLAGGED).text()).isEqualTo("failed; flagged");
        assertThat(new RefundResult(RefundResult.Kind.FAILED, "2026-12-01T12:00:00Z").toString())
            .isEqualTo("failed; next attempt at 2026-12-01T12:00:00Z");
        assertThatIllegalArgumentException().isThrownBy(() -> RefundResult.of(RefundResult.Kind.REFUSED));
    }
}
