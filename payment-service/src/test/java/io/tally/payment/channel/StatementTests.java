package io.tally.payment.channel;

import java.time.LocalDate;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class StatementTests {

    private static final LocalDate DAY = LocalDate.of(2026, 11, 23);

    private static final String HEADER = "# statement,merchant=M100,date=2026-11-23\ntype,out_trade_no,trade_no,refund_no,amount,time\n";

    @Test
    void readsCapturesAndRefundsThatAddUpToTheClosingLine() {
        Statement statement = Statement.parse(HEADER + "PAYMENT,P1,T1,,500,2026-11-23T10:00:00Z\n"
                + "REFUND,P1,T1,P1-R1,500,2026-11-23T11:00:00Z\n# total,lines=2,payments=500,refunds=500\n", DAY);
        assertThat(statement.lines()).hasSize(2);
        assertThat(statement.lines().get(0).isPayment()).isTrue();
        assertThat(statement.lines().get(1).refundNo()).isEqualTo("P1-R1");
        assertThat(statement.payments()).isEqualTo(500);
        assertThat(statement.refunds()).isEqualTo(500);
    }

    @Test
    void refusesAStatementWhoseLinesDoNotAddUp() {
        assertThatIllegalArgumentException().isThrownBy(() -> Statement.parse(HEADER
                + "PAYMENT,P1,T1,,500,2026-11-23T10:00:00Z\n# total,lines=1,payments=600,refunds=0\n", DAY))
            .withMessageContaining("do not add up");
    }

    @Test
    void refusesAStatementCutShort() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> Statement.parse(HEADER + "PAYMENT,P1,T1,,500,2026-11-23T10:00:00Z\n", DAY))
            .withMessageContaining("no closing line");
    }

    @Test
    void refusesAStatementOfAnotherDay() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> Statement.parse(HEADER + "# total,lines=0,payments=0,refunds=0\n", DAY.plusDays(1)))
            .withMessageContaining("Not a statement of 2026-11-24");
    }

    @Test
    void refusesALineOfAnUnknownTypeInsteadOfCountingItAsARefund() {
        assertThatIllegalArgumentException().isThrownBy(() -> Statement.parse(HEADER
                + "CHARGEBACK,P1,T1,,500,2026-11-23T10:00:00Z\n# total,lines=1,payments=0,refunds=500\n", DAY))
            .withMessageContaining("CHARGEBACK");
    }

    @Test
    void refusesAnAmountThatIsNotAPositiveInteger() {
        assertThatIllegalArgumentException().isThrownBy(() -> Statement.parse(HEADER
                + "PAYMENT,P1,T1,,1000,2026-11-23T10:00:00Z\nPAYMENT,P2,T2,,-500,2026-11-23T10:00:00Z\n"
                + "# total,lines=2,payments=500,refunds=0\n", DAY))
            .withMessageContaining("-500");
        assertThatIllegalArgumentException().isThrownBy(() -> Statement.parse(HEADER
                + "PAYMENT,P1,T1,,5.00,2026-11-23T10:00:00Z\n# total,lines=1,payments=5,refunds=0\n", DAY));
    }

    @Test
    void refusesLinesWhoseSumWrapsAroundToMatchTheClosingLine() {
        // two captures of 2^62 each sum to -2^63 in 64-bit arithmetic: the closing line claims that wrapped sum
        long huge = 1L << 62;
        assertThatIllegalArgumentException().isThrownBy(() -> Statement.parse(HEADER
                + "PAYMENT,P1,T1,," + huge + ",2026-11-23T10:00:00Z\n" + "PAYMENT,P2,T2,," + huge + ",2026-11-23T10:00:00Z\n"
                + "# total,lines=2,payments=" + (huge + huge) + ",refunds=0\n", DAY))
            .withMessageContaining("too large");
    }

    @Test
    void refusesALineWithAMalformedTime() {
        assertThatIllegalArgumentException().isThrownBy(() -> Statement.parse(HEADER
                + "PAYMENT,P1,T1,,500,yesterday\n# total,lines=1,payments=500,refunds=0\n", DAY))
            .withMessageContaining("yesterday");
    }
}
