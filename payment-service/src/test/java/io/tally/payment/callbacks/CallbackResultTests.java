package io.tally.payment.callbacks;

import org.junit.jupiter.api.Test;

import io.tally.payment.payments.PaymentStatus;
import io.tally.payment.payments.Settlement;

import static org.assertj.core.api.Assertions.assertThat;

/** The outcomes a callback records with it (and answers, when refused), in the words the records hold. */
class CallbackResultTests {

    @Test
    void eachOutcomeIsRecordedInTheWordsOfTheCallbackRecord() {
        assertThat(new CallbackResult(CallbackResult.Kind.REFUSED, "merchant M9 is not ours").text())
            .isEqualTo("refused: merchant M9 is not ours");
        assertThat(CallbackResult.of(CallbackResult.Kind.SUCCEEDED).text()).isEqualTo("succeeded");
        assertThat(CallbackResult.of(CallbackResult.Kind.SUCCEEDED_AND_REFUNDED).text())
            .isEqualTo("succeeded; refunded: the order is cancelled");
        assertThat(CallbackResult.of(CallbackResult.Kind.CAPTURED_AFTER_CLOSE).text()).isEqualTo("captured after close: refunded");
        assertThat(new CallbackResult(CallbackResult.Kind.NOT_PAID, "TRADE_CLOSED").text())
            .isEqualTo("ignored: trade status TRADE_CLOSED");
        assertThat(new CallbackResult(CallbackResult.Kind.DUPLICATE, "SUCCEEDED").text())
            .isEqualTo("duplicate: payment already SUCCEEDED");
        assertThat(CallbackResult.of(CallbackResult.Kind.ALREADY_ABNORMAL).text()).isEqualTo("ignored: payment is abnormal");
    }

    @Test
    void anAbnormalOutcomeSaysWhetherThePaymentWasMarked() {
        String marked = new Settlement.Abnormal(true, PaymentStatus.PAYING, "amount 701 where 700 was asked").toString();
        String late = new Settlement.Abnormal(false, PaymentStatus.REFUNDED, "amount 701 where 700 was asked").toString();
        assertThat(new CallbackResult(CallbackResult.Kind.ABNORMAL, marked).text())
            .isEqualTo("abnormal: amount 701 where 700 was asked");
        assertThat(new CallbackResult(CallbackResult.Kind.ABNORMAL, late).text())
            .isEqualTo("abnormal callback for a payment already REFUNDED: amount 701 where 700 was asked");
        assertThat(new CallbackResult(CallbackResult.Kind.ABNORMAL_CAPTURED_AFTER_CLOSE,
                new Settlement.Abnormal(false, PaymentStatus.CLOSED, "amount 1 where 700 was asked").toString()).text())
            .isEqualTo("abnormal callback for a payment already CLOSED: amount 1 where 700 was asked; "
                    + "captured after close: refund requested");
    }
}
