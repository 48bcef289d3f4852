package io.tally.payment.queries;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The texts a query and a close record and answer: the same as the stored results and the operator's API expect. */
class QueryResultTests {

    @Test
    void aQueryRecordsWhatItLearntInTheWordsStoredAndAnswered() {
        assertThat(QueryResult.of(QueryResult.Kind.PAID).text()).isEqualTo("paid, found by query");
        assertThat(QueryResult.of(QueryResult.Kind.PAID_AND_REFUNDED).text())
            .isEqualTo("paid, found by query; refunded: the order is cancelled");
        assertThat(QueryResult.of(QueryResult.Kind.CLOSED).text()).isEqualTo("closed at the channel");
        assertThat(QueryResult.of(QueryResult.Kind.SETTLED_MEANWHILE, "SUCCEEDED").text())
            .isEqualTo("settled meanwhile: SUCCEEDED");
        assertThat(QueryResult.of(QueryResult.Kind.ABNORMAL, "abnormal: captured 1 where 2 was asked").text())
            .isEqualTo("abnormal: captured 1 where 2 was asked");
        assertThat(QueryResult.of(QueryResult.Kind.CAPTURED_AFTER_CLOSE).text())
            .isEqualTo("captured after close: refund requested");
        assertThat(QueryResult.of(QueryResult.Kind.UNKNOWN).text()).isEqualTo("unknown at the channel");
        assertThat(QueryResult.of(QueryResult.Kind.NOT_PAID_YET).text()).isEqualTo("not paid yet");
        assertThat(QueryResult.of(QueryResult.Kind.FAILED, "I/O error").text()).isEqualTo("query failed: I/O error");
    }

    @Test
    void onlyWhatSettlesThePaymentEndsItsQueriesAndAFlaggedOneSaysSo() {
        assertThat(QueryResult.Kind.PAID.learnt()).isTrue();
        assertThat(QueryResult.Kind.SETTLED_MEANWHILE.learnt()).isTrue();
        assertThat(QueryResult.Kind.UNKNOWN.learnt()).isFalse();
        assertThat(QueryResult.Kind.NOT_PAID_YET.learnt()).isFalse();
        assertThat(QueryResult.Kind.FAILED.learnt()).isFalse();
        assertThat(QueryResult.of(QueryResult.Kind.NOT_PAID_YET).asFlagged().text()).isEqualTo("not paid yet; flagged");
        assertThatIllegalArgumentException().isThrownBy(() -> QueryResult.of(QueryResult.Kind.PAID, "detail"));
    }

    @Test
    void aCloseRecordsWhatItDidAndWhetherItIsDone() {
        assertThat(TradeCloseResult.of(TradeCloseResult.Kind.CLOSED).text()).isEqualTo("closed");
        assertThat(new TradeCloseResult(TradeCloseResult.Kind.NOTHING, "REFUNDED").text())
            .isEqualTo("nothing to close: the payment is REFUNDED");
        assertThat(TradeCloseResult.of(TradeCloseResult.Kind.ALREADY_PAID).text()).isEqualTo("already paid: refund requested");
        assertThat(new TradeCloseResult(TradeCloseResult.Kind.ABNORMAL, "abnormal: captured 1 where 2 was asked").text())
            .isEqualTo("abnormal: captured 1 where 2 was asked; refund requested");
        assertThat(TradeCloseResult.of(TradeCloseResult.Kind.UNCONFIRMED).text())
            .isEqualTo("the close answered already paid, but the trade shows no payment");
        assertThat(new TradeCloseResult(TradeCloseResult.Kind.FAILED, "timeout").text()).isEqualTo("close failed: timeout");
        assertThat(TradeCloseResult.Kind.UNCONFIRMED.done()).isFalse();
        assertThat(TradeCloseResult.Kind.FAILED.done()).isFalse();
        assertThat(TradeCloseResult.Kind.NOTHING.done()).isTrue();
    }
}
