package io.tally.payment.channel.wechat;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.tally.payment.channel.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * WeChat Pay's daily trade bill is what reconciliation trusts about money WeChat Pay moved, so its reader must turn
 * a bill laid out as WeChat Pay (and the gateway simulator) writes it into exact lines, and refuse one that is cut
 * short, another merchant's, malformed, or that does not add up to its summary.
 */
class WechatBillTests {

    private static final LocalDate DAY = LocalDate.of(2026, 11, 23);

    private static final String MCHID = "1900000001";

    private static final String APPID = "wx8888888888888888";

    private static final String TRADE_NO = "4200001234202611230000000001";

    private static final String OUT_TRADE_NO = "P-2001";

    private static final String OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

    /** The detail header of an {@code ALL} bill, as WeChat Pay (and the simulator) writes it. */
    private static final String HEADER = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
            + "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,"
            + "商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";

    private static final List<String> COLUMNS = List.of(HEADER.split(","));

    private static final String SUMMARY_HEADER = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

    /** A payment of 12.34 yuan, ten minutes after midnight in Beijing (the evening before, in UTC). */
    private static final Map<String, String> PAYMENT = values("2026-11-23 00:10:00", APPID, MCHID, "0", "", TRADE_NO,
            OUT_TRADE_NO, OPENID, "NATIVE", "SUCCESS", "OTHERS", "CNY", "12.34", "0.00", "0", "0", "0.00", "0.00", "", "",
            "Tally order", "", "0.07000", "0.60%", "12.34", "0.00", "");

    /** A partial refund of 3.00 yuan of that payment, finished. */
    private static final Map<String, String> REFUND = values("2026-11-23 15:30:00", APPID, MCHID, "0", "", TRADE_NO,
            OUT_TRADE_NO, OPENID, "NATIVE", "REFUND", "OTHERS", "CNY", "0.00", "0.00", "50300001234202611230000000001",
            "P-2001-R1", "3.00", "0.00", "ORIGINAL", "SUCCESS", "Tally order", "", "-0.02000", "0.60%", "0.00", "3.00", "");

    private static final String SUMMARY = summary("2", "12.34", "3.00", "0.00", "0.05000", "12.34", "3.00");

    /** The day's bill of a payment and its partial refund, as the simulator writes it. */
    private static final String BILL = bill(List.of(row(PAYMENT), row(REFUND)), SUMMARY);

    private static final Statement.Line PAYMENT_LINE = new Statement.Line("PAYMENT", OUT_TRADE_NO, TRADE_NO, null, 1234,
            Instant.parse("2026-11-22T16:10:00Z"));

    private static final Statement.Line REFUND_LINE = new Statement.Line("REFUND", OUT_TRADE_NO, TRADE_NO, "P-2001-R1", 300,
            Instant.parse("2026-11-23T07:30:00Z"));

    @Test
    void aPaymentAndItsPartialRefundAreReadToTheFenAtTheirBeijingTimes() {
        Statement statement = WechatChannel.parseBill(BILL, DAY, MCHID);

        assertThat(statement.day()).isEqualTo(DAY);
        assertThat(statement.lines()).containsExactly(PAYMENT_LINE, REFUND_LINE);
        assertThat(statement.payments()).isEqualTo(1234);
        assertThat(statement.refunds()).isEqualTo(300);
    }

    @Test
    void aBillWithoutItsByteOrderMarkAndWithLineFeedsAloneReadsTheSame() {
        String bill = BILL.substring(1).replace("\r\n", "\n");
        assertThat(bill).doesNotStartWith("\uFEFF");

        assertThat(WechatChannel.parseBill(bill, DAY, MCHID).lines()).containsExactly(PAYMENT_LINE, REFUND_LINE);
    }

    @Test
    void aPaymentIsItsOrderAmountNotWhatIsSettledAfterAVoucher() {
        Map<String, String> payment = with(with(PAYMENT, "应结订单金额", "11.34"), "代金券金额", "1.00");
        String bill = bill(List.of(row(payment)), summary("1", "11.34", "0.00", "0.00", "0.07000", "12.34", "0.00"));

        assertThat(WechatChannel.parseBill(bill, DAY, MCHID).lines()).singleElement()
            .satisfies(line -> assertThat(line.amount()).isEqualTo(1234));
    }

    @Test
    void inABillWithoutAnOrderAmountColumnAPaymentIsItsSettledAmount() {
        List<String> columns = new ArrayList<>(COLUMNS);
        columns.removeAll(List.of("订单金额", "申请退款金额", "费率备注"));
        Map<String, String> payment = with(with(PAYMENT, "应结订单金额", "11.34"), "代金券金额", "1.00");
        String bill = bill(String.join(",", columns), List.of(row(columns, payment), row(columns, REFUND)),
                "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额", summary("2", "11.34", "3.00", "0.00", "0.05000"));

        assertThat(WechatChannel.parseBill(bill, DAY, MCHID).lines()).extracting(Statement.Line::amount)
            .containsExactly(1134L, 300L);
    }

    @Test
    void aDayWithoutTradesHasNoLines() {
        String bill = bill(List.of(), summary("0", "0.00", "0.00", "0.00", "0.00000", "0.00", "0.00"));

        Statement statement = WechatChannel.parseBill(bill, DAY, MCHID);

        assertThat(statement.lines()).isEmpty();
        assertThat(statement.payments()).isZero();
        assertThat(statement.refunds()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = { "PROCESSING", "ABNORMAL", "CLOSED" })
    void aRefundNotFinishedIsNoLineThoughItsAmountsStillCountInTheSummaryTotals(String state) {
        // 总交易单数, 退款总金额 and 申请退款总金额 count every row
        String bill = bill(List.of(row(PAYMENT), row(with(REFUND, "退款状态", state))),
                summary("2", "12.34", "3.00", "0.00", "0.05000", "12.34", "3.00"));

        Statement statement = WechatChannel.parseBill(bill, DAY, MCHID);

        assertThat(statement.lines()).containsExactly(PAYMENT_LINE);
        assertThat(statement.refunds()).isZero();
    }

    @Test
    void aRefundNotFinishedMustStillBeInTheSummarysRefundTotal() {
        String bill = bill(List.of(row(PAYMENT), row(with(REFUND, "退款状态", "PROCESSING"))),
                summary("2", "12.34", "0.00", "0.00", "0.05000", "12.34", "0.00"));

        assertThatIllegalArgumentException().isThrownBy(() -> WechatChannel.parseBill(bill, DAY, MCHID))
            .withMessageContaining("rows add up to 300 fen of 退款总金额 where its summary says 0");
    }

    @Test
    void aSummaryCountingTheUnfinishedRefundAmongItsRowsIsReadWithoutThatRefund() {
        // 总交易单数 counts every row, as the totals add up every row: the unfinished refund is counted, not a line
        String bill = bill(List.of(row(PAYMENT), row(with(REFUND, "退款状态", "PROCESSING"))),
                summary("2", "12.34", "3.00", "0.00", "0.05000", "12.34", "3.00"));

        Statement statement = WechatChannel.parseBill(bill, DAY, MCHID);
        assertThat(statement.lines()).extracting(Statement.Line::type).containsExactly("PAYMENT");
    }

    static Stream<Arguments> refusedBills() {
        List<String> rows = List.of(row(PAYMENT), row(REFUND));
        String payment = row(PAYMENT);
        return Stream.of(
                // the summary does not add up
                Arguments.of("more trades counted than rows",
                        bill(rows, summary("3", "12.34", "3.00", "0.00", "0.05000", "12.34", "3.00")),
                        "The trade bill of 2026-11-23 has 2 rows where its summary says 3: it may be cut short"),
                Arguments.of("fewer trades counted than rows",
                        bill(rows, summary("1", "12.34", "3.00", "0.00", "0.05000", "12.34", "3.00")),
                        "has 2 rows where its summary says 1"),
                Arguments.of("应结订单总金额 off by a fen",
                        bill(rows, summary("2", "12.35", "3.00", "0.00", "0.05000", "12.34", "3.00")),
                        "The trade bill's rows add up to 1234 fen of 应结订单总金额 where its summary says 1235"),
                Arguments.of("退款总金额 off by a fen",
                        bill(rows, summary("2", "12.34", "3.01", "0.00", "0.05000", "12.34", "3.00")),
                        "rows add up to 300 fen of 退款总金额 where its summary says 301"),
                Arguments.of("订单总金额 off",
                        bill(rows, summary("2", "12.34", "3.00", "0.00", "0.05000", "12.00", "3.00")),
                        "rows add up to 1234 fen of 订单总金额 where its summary says 1200"),
                Arguments.of("申请退款总金额 off",
                        bill(rows, summary("2", "12.34", "3.00", "0.00", "0.05000", "12.34", "0.00")),
                        "rows add up to 300 fen of 申请退款总金额 where its summary says 0"),
                Arguments.of("a summary total with three decimals",
                        bill(rows, summary("2", "12.345", "3.00", "0.00", "0.05000", "12.34", "3.00")),
                        "Row 5 of the trade bill has a 应结订单总金额 that is not an amount of yuan to the fen: 12.345"),
                Arguments.of("a summary row one value short",
                        bill(rows, summary("2", "12.34", "3.00", "0.00", "0.05000", "12.34")),
                        "Row 5 of the trade bill has 6 values where its header has 7 columns"),
                // cut short
                Arguments.of("no summary", text(List.of(HEADER, row(PAYMENT), row(REFUND))),
                        "it may be cut short (3 rows, summary at 0)"),
                Arguments.of("a summary header without its row",
                        text(List.of(HEADER, row(PAYMENT), row(REFUND), SUMMARY_HEADER)),
                        "it may be cut short (4 rows, summary at 4)"),
                Arguments.of("a row after the summary",
                        text(List.of(HEADER, row(PAYMENT), SUMMARY_HEADER, summary("1", "12.34", "0.00", "0.00",
                                "0.07000", "12.34", "0.00"), row(REFUND))),
                        "it may be cut short (5 rows, summary at 3)"),
                Arguments.of("an empty text", "", "it may be cut short (0 rows, summary at 0)"),
                Arguments.of("a summary without the detail header", text(List.of(SUMMARY_HEADER, SUMMARY)),
                        "it may be cut short (2 rows, summary at 1)"),
                // not ours
                Arguments.of("another merchant's payment",
                        bill(List.of(row(with(PAYMENT, "商户号", "1900000002")), row(REFUND)), SUMMARY),
                        "Row 2 of the trade bill is of merchant 1900000002, not ours (1900000001)"),
                Arguments.of("another merchant's refund",
                        bill(List.of(row(PAYMENT), row(with(REFUND, "商户号", "1900000002"))), SUMMARY),
                        "Row 3 of the trade bill is of merchant 1900000002, not ours (1900000001)"),
                // rows that cannot be read
                Arguments.of("an unknown trade state",
                        bill(List.of(row(with(PAYMENT, "交易状态", "REVOKED")), row(REFUND)), SUMMARY),
                        "Row 2 of the trade bill is REVOKED, neither a payment (SUCCESS) nor a refund (REFUND)"),
                Arguments.of("an 应结订单金额 with three decimals",
                        bill(List.of(row(with(PAYMENT, "应结订单金额", "12.345")), row(REFUND)), SUMMARY),
                        "Row 2 of the trade bill has a 应结订单金额 that is not an amount of yuan to the fen: 12.345"),
                Arguments.of("an 订单金额 with three decimals",
                        bill(List.of(row(with(PAYMENT, "订单金额", "12.345")), row(REFUND)), SUMMARY),
                        "Row 2 of the trade bill has a 订单金额 that is not an amount of yuan to the fen: 12.345"),
                Arguments.of("a 退款金额 that is not a number",
                        bill(List.of(row(PAYMENT), row(with(REFUND, "退款金额", "abc"))), SUMMARY),
                        "Row 3 of the trade bill has a 退款金额 that is not an amount of yuan to the fen: abc"),
                Arguments.of("an empty 订单金额",
                        bill(List.of(row(with(PAYMENT, "订单金额", "")), row(REFUND)), SUMMARY),
                        "Row 2 of the trade bill has a 订单金额 that is not an amount of yuan to the fen"),
                Arguments.of("a row one value too many", bill(List.of(payment + ",`extra", row(REFUND)), SUMMARY),
                        "Row 2 of the trade bill has 28 values where its header has 27 columns"),
                Arguments.of("a row one value short",
                        bill(List.of(payment.substring(0, payment.lastIndexOf(",`")), row(REFUND)), SUMMARY),
                        "Row 2 of the trade bill has 26 values where its header has 27 columns"),
                Arguments.of("a row whose values have no backticks",
                        bill(List.of(payment.substring(1).replace(",`", ","), row(REFUND)), SUMMARY),
                        "Row 2 of the trade bill is not a row of `-prefixed values"),
                Arguments.of("a refund without its 商户退款单号 (0)",
                        bill(List.of(row(PAYMENT), row(with(REFUND, "商户退款单号", "0"))), SUMMARY),
                        "Refund row 3 of the trade bill has no 商户退款单号"),
                Arguments.of("a refund without its 商户退款单号 (empty)",
                        bill(List.of(row(PAYMENT), row(with(REFUND, "商户退款单号", ""))), SUMMARY),
                        "Refund row 3 of the trade bill has no 商户退款单号"),
                Arguments.of("a row without its 商户订单号",
                        bill(List.of(row(with(PAYMENT, "商户订单号", "")), row(REFUND)), SUMMARY),
                        "Row 2 of the trade bill has no 商户订单号 or 微信订单号"),
                Arguments.of("a malformed 交易时间",
                        bill(List.of(row(with(PAYMENT, "交易时间", "2026/11/23 00:10:00")), row(REFUND)), SUMMARY),
                        "Row 2 of the trade bill has a malformed 交易时间: 2026/11/23 00:10:00"),
                Arguments.of("a header without 商户号",
                        bill(HEADER.replace(",商户号,", ",商户编号,"), rows, SUMMARY_HEADER, SUMMARY),
                        "The trade bill has no column 商户号"),
                Arguments.of("a payment of nothing",
                        bill(List.of(row(with(with(PAYMENT, "应结订单金额", "0.00"), "订单金额", "0.00")), row(REFUND)),
                                summary("2", "0.00", "3.00", "0.00", "0.05000", "0.00", "3.00")),
                        "A line whose amount is not positive"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedBills")
    void aBillThatIsMalformedCutShortNotOursOrDoesNotAddUpIsRefused(String why, String bill, String message) {
        assertThatIllegalArgumentException().isThrownBy(() -> WechatChannel.parseBill(bill, DAY, MCHID))
            .withMessageContaining(message);
    }

    // ---- building bills ----

    /** A row's values by column, in the header's order. */
    private static Map<String, String> values(String... values) {
        if (values.length != COLUMNS.size()) {
            throw new IllegalStateException(values.length + " values for " + COLUMNS.size() + " columns");
        }
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            row.put(COLUMNS.get(i), values[i]);
        }
        return Collections.unmodifiableMap(row);
    }

    private static Map<String, String> with(Map<String, String> values, String column, String value) {
        if (!values.containsKey(column)) {
            throw new IllegalStateException("No column " + column);
        }
        Map<String, String> row = new LinkedHashMap<>(values);
        row.put(column, value);
        return Collections.unmodifiableMap(row);
    }

    /** A row as WeChat Pay writes it: every value after a backtick. */
    private static String row(Map<String, String> values) {
        return row(COLUMNS, values);
    }

    private static String row(List<String> columns, Map<String, String> values) {
        return columns.stream().map(values::get).collect(Collectors.joining(",`", "`", ""));
    }

    private static String summary(String... totals) {
        return "`" + String.join(",`", totals);
    }

    /** A bill as the simulator writes it: a BOM, the header, the rows, the summary header and its row. */
    private static String bill(List<String> rows, String summary) {
        return bill(HEADER, rows, SUMMARY_HEADER, summary);
    }

    private static String bill(String header, List<String> rows, String summaryHeader, String summary) {
        List<String> lines = new ArrayList<>();
        lines.add(header);
        lines.addAll(rows);
        lines.add(summaryHeader);
        lines.add(summary);
        return "\uFEFF" + text(lines);
    }

    private static String text(List<String> lines) {
        return String.join("\r\n", lines) + "\r\n";
    }
}
