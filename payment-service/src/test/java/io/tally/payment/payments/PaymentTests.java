package io.tally.payment.payments;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.tally.channel.ChannelMessages.Notification;
import io.tally.channel.ChannelMessages.TradeStatus;
import io.tally.payment.payments.Payment.CallbackOutcome;
import io.tally.payment.payments.Payment.CloseOutcome;
import io.tally.payment.payments.Payment.QueryOutcome;

import static io.tally.channel.ChannelMessages.CloseOutcome.ALREADY_PAID;
import static io.tally.channel.ChannelMessages.CloseOutcome.CLOSED;

import static org.assertj.core.api.Assertions.assertThat;

/** The payment's state machine and what a callback, a query or a close means for it, as plain decisions. */
class PaymentTests {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    @Test
    void eachStateIsReachedOnlyFromTheStatesTheDesignAllows() {
        assertThat(PaymentStatus.PAYING.from()).isEmpty();
        assertThat(PaymentStatus.SUCCEEDED.from()).containsExactly(PaymentStatus.PAYING);
        assertThat(PaymentStatus.CLOSED.from()).containsExactly(PaymentStatus.PAYING);
        assertThat(PaymentStatus.REFUNDING.from()).containsExactlyInAnyOrder(PaymentStatus.SUCCEEDED, PaymentStatus.CLOSED);
        assertThat(PaymentStatus.REFUNDED.from()).containsExactly(PaymentStatus.REFUNDING);
        assertThat(PaymentStatus.ABNORMAL.from()).containsExactlyInAnyOrder(PaymentStatus.PAYING, PaymentStatus.SUCCEEDED);
    }

    @Test
    void noStateLeadsBackToPayingAndNothingLeavesRefunded() {
        for (PaymentStatus to : PaymentStatus.values()) {
            assertThat(to.from()).as("%s reached from REFUNDED", to).doesNotContain(PaymentStatus.REFUNDED);
        }
        assertThat(PaymentStatus.ABNORMAL.from()).as("a refunded or refunding payment is never made abnormal")
            .doesNotContain(PaymentStatus.REFUNDING, PaymentStatus.REFUNDED);
    }

    @Test
    void aMatchingSuccessCallbackSucceedsAPayingPayment() {
        assertThat(payment(PaymentStatus.PAYING).onCallback(success(700, "M100", "T1"), "M100"))
            .isEqualTo(new Payment.CallbackDecision(CallbackOutcome.SUCCEED, null));
    }

    @Test
    void aMatchingSuccessCallbackForAClosedPaymentRefundsTheMoneyTakenAfterTheClose() {
        assertThat(payment(PaymentStatus.CLOSED).onCallback(success(700, "M100", "T1"), "M100").outcome())
            .isEqualTo(CallbackOutcome.REFUND_CAPTURED_AFTER_CLOSE);
    }

    @ParameterizedTest
    @EnumSource(value = PaymentStatus.class, names = { "SUCCEEDED", "REFUNDING", "REFUNDED" })
    void aRepeatedCallbackForASettledPaymentChangesNothing(PaymentStatus status) {
        assertThat(payment(status).onCallback(success(700, "M100", "T1"), "M100").outcome())
            .isEqualTo(CallbackOutcome.ALREADY_SETTLED);
    }

    @Test
    void aCallbackOfAnotherTradeStatusIsIgnored() {
        Notification closed = new Notification("N1", "M100", "P1", "T1", 700, "CNY", "TRADE_CLOSED", NOW);
        assertThat(payment(PaymentStatus.PAYING).onCallback(closed, "M100").outcome()).isEqualTo(CallbackOutcome.NOT_PAID);
    }

    @Test
    void anotherAmountIsAMismatchNamingBothAmountsNeverASuccess() {
        Payment.CallbackDecision decision = payment(PaymentStatus.PAYING).onCallback(success(701, "M100", "T1"), "M100");
        assertThat(decision.outcome()).isEqualTo(CallbackOutcome.MISMATCH);
        assertThat(decision.mismatch()).isEqualTo("amount 701 where 700 was asked");
    }

    @Test
    void aCallbackForAnotherMerchantTradeOrCurrencyIsRefusedAndLeavesThePaymentAsItIs() {
        for (PaymentStatus status : List.of(PaymentStatus.PAYING, PaymentStatus.CLOSED)) {
            Payment payment = payment(status);
            assertThat(payment.onCallback(success(700, "M999", "T1"), "M100"))
                .isEqualTo(new Payment.CallbackDecision(CallbackOutcome.REFUSED, "merchant M999 is not ours"));
            assertThat(payment.onCallback(success(700, "M100", "T2"), "M100"))
                .isEqualTo(new Payment.CallbackDecision(CallbackOutcome.REFUSED, "trade T2 where the channel created T1"));
            assertThat(payment.onCallback(new Notification("N1", "M100", "P1", "T1", 700, "USD", Notification.TRADE_SUCCESS,
                    NOW), "M100"))
                .isEqualTo(new Payment.CallbackDecision(CallbackOutcome.REFUSED, "currency USD where CNY was asked"));
        }
        // the amount, on our own trade and merchant and currency, is what makes a payment abnormal
        assertThat(payment(PaymentStatus.PAYING).onCallback(success(701, "M100", "T1"), "M100").outcome())
            .isEqualTo(CallbackOutcome.MISMATCH);
    }

    @Test
    void aTradeTheChannelReportsIsCheckedLikeACallback() {
        Payment payment = payment(PaymentStatus.PAYING);
        assertThat(payment.tradeMismatch(trade(700, "CNY"))).isNull();
        assertThat(payment.tradeMismatch(trade(701, "CNY"))).isEqualTo("captured 701 where 700 was asked");
        assertThat(payment.tradeMismatch(trade(700, "USD"))).isEqualTo("currency USD where CNY was asked");
    }

    private static io.tally.channel.ChannelMessages.Trade trade(long captured, String currency) {
        return new io.tally.channel.ChannelMessages.Trade("P1", "T1", 700, currency,
                io.tally.channel.ChannelMessages.TradeStatus.values()[0], NOW, captured, 0, NOW);
    }

    private static io.tally.channel.ChannelMessages.Trade trade(long captured, String currency, TradeStatus status) {
        return new io.tally.channel.ChannelMessages.Trade("P1", "T1", 700, currency, status, NOW, captured, 0,
                status == TradeStatus.SUCCESS ? NOW : null);
    }

    @Test
    void aMismatchedSuccessForAClosedPaymentIsAbnormalAndStillRefundsTheCapture() {
        assertThat(payment(PaymentStatus.CLOSED).onCallback(success(701, "M100", "T1"), "M100").outcome())
            .isEqualTo(CallbackOutcome.MISMATCH_CAPTURED_AFTER_CLOSE);
    }

    @Test
    void noCallbackEverMakesAnAbnormalPaymentSucceed() {
        Set<CallbackOutcome> seen = EnumSet.noneOf(CallbackOutcome.class);
        for (Notification n : new Notification[] { success(700, "M100", "T1"), success(701, "M100", "T1"),
                success(700, "M999", "T1") }) {
            seen.add(payment(PaymentStatus.ABNORMAL).onCallback(n, "M100").outcome());
        }
        assertThat(seen).doesNotContain(CallbackOutcome.SUCCEED, CallbackOutcome.REFUND_CAPTURED_AFTER_CLOSE);
    }

    @Test
    void aClosedAnswerClosesOnlyAPayingPayment() {
        for (PaymentStatus status : PaymentStatus.values()) {
            assertThat(payment(status).onClose(CLOSED, null).outcome()).as("%s", status)
                .isEqualTo(status == PaymentStatus.PAYING ? CloseOutcome.CLOSE : CloseOutcome.NOTHING);
        }
    }

    @Test
    void anAlreadyPaidAnswerGivesTheMoneyBackWhateverThePaymentHadBecome() {
        var paid = trade(700, "CNY");
        assertThat(payment(PaymentStatus.PAYING).onClose(ALREADY_PAID, paid).outcome()).isEqualTo(CloseOutcome.SUCCEED_AND_REFUND);
        assertThat(payment(PaymentStatus.SUCCEEDED).onClose(ALREADY_PAID, paid).outcome()).isEqualTo(CloseOutcome.REFUND);
        assertThat(payment(PaymentStatus.CLOSED).onClose(ALREADY_PAID, paid).outcome()).isEqualTo(CloseOutcome.REFUND);
        assertThat(payment(PaymentStatus.ABNORMAL).onClose(ALREADY_PAID, paid).outcome()).isEqualTo(CloseOutcome.REFUND);
        assertThat(payment(PaymentStatus.REFUNDING).onClose(ALREADY_PAID, paid).outcome()).isEqualTo(CloseOutcome.NOTHING);
        assertThat(payment(PaymentStatus.REFUNDED).onClose(ALREADY_PAID, paid).outcome()).isEqualTo(CloseOutcome.NOTHING);
    }

    @Test
    void anAlreadyPaidAnswerForAnotherAmountIsAbnormalAndRefundedAndOneWithoutAPaidTradeIsTriedAgain() {
        assertThat(payment(PaymentStatus.PAYING).onClose(ALREADY_PAID, trade(701, "CNY")))
            .isEqualTo(new Payment.CloseDecision(CloseOutcome.ABNORMAL_AND_REFUND, "captured 701 where 700 was asked"));
        assertThat(payment(PaymentStatus.PAYING).onClose(ALREADY_PAID, null).outcome()).isEqualTo(CloseOutcome.UNCONFIRMED);
    }

    @Test
    void aQueryTeachesOnlyAPayingPaymentAndChecksAPaidTradeLikeACallback() {
        for (PaymentStatus status : PaymentStatus.values()) {
            if (status != PaymentStatus.PAYING) {
                assertThat(payment(status).onQuery(trade(700, "CNY")).outcome()).as("%s", status)
                    .isEqualTo(QueryOutcome.SETTLED_MEANWHILE);
            }
        }
        Payment paying = payment(PaymentStatus.PAYING);
        assertThat(paying.onQuery(null).outcome()).isEqualTo(QueryOutcome.UNKNOWN);
        assertThat(paying.onQuery(trade(0, "CNY", TradeStatus.WAIT_PAY)).outcome()).isEqualTo(QueryOutcome.NOT_PAID);
        assertThat(paying.onQuery(trade(0, "CNY", TradeStatus.CLOSED)).outcome()).isEqualTo(QueryOutcome.CLOSE);
        assertThat(paying.onQuery(trade(700, "CNY", TradeStatus.SUCCESS)))
            .isEqualTo(new Payment.QueryDecision(QueryOutcome.SUCCEED, null));
        assertThat(paying.onQuery(trade(701, "CNY", TradeStatus.SUCCESS)))
            .isEqualTo(new Payment.QueryDecision(QueryOutcome.MISMATCH, "captured 701 where 700 was asked"));
        assertThat(paying.onQuery(trade(700, "USD", TradeStatus.SUCCESS)))
            .isEqualTo(new Payment.QueryDecision(QueryOutcome.MISMATCH, "currency USD where CNY was asked"));
    }

    @Test
    void aPayableOrderIsCancelledOnlyWhileAwaitingPaymentAndNothingLeavesCancelled() {
        assertThat(PayableStatus.AWAITING_PAYMENT.from()).isEmpty();
        assertThat(PayableStatus.CANCELLED.from()).containsExactly(PayableStatus.AWAITING_PAYMENT);
    }

    @Test
    void theCapturedStatesAreSucceededAndTheRefundStatesAfterIt() {
        assertThat(PaymentStatus.captured()).containsExactly(PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDING,
                PaymentStatus.REFUNDED);
        assertThat(PaymentStatus.ABNORMAL.fromNames()).containsExactlyInAnyOrder("PAYING", "SUCCEEDED");
    }

    private static Payment payment(PaymentStatus status) {
        return new Payment("P1", "O1", 700, "CNY", "simulator", status, NOW.plusSeconds(600), "T1", null, null, null, null, NOW);
    }

    private static Notification success(long amount, String merchant, String tradeNo) {
        return new Notification("N1", merchant, "P1", tradeNo, amount, "CNY", Notification.TRADE_SUCCESS, NOW);
    }
}
