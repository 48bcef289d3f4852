package io.tally.payment.channel.alipay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.web.client.HttpClientErrorException;

import io.tally.payment.channel.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.entry;

/**
 * Alipay's daily trade bill is what reconciliation trusts about money Alipay moved, so its reader must turn a bill
 * laid out as Alipay (and the gateway simulator) writes it into exact lines, and refuse one that is cut short, not
 * ours, or does not add up; the amount and form helpers the channel relies on are pinned down here too.
 */
class AlipayBillTests {

    private static final Charset GBK = Charset.forName("GBK");

    private static final LocalDate DAY = LocalDate.of(2026, 11, 23);

    private static final String SELLER = "2088102147948060";

    /** The bill's account: our seller's PID followed by 0156. */
    private static final String ACCOUNT = SELLER + "0156";

    private static final String FILE = ACCOUNT + "_20261123";

    private static final String TRADE_NO = "2026112322001404441000012345";

    private static final String OUT_TRADE_NO = "P-1001";

    private static final String TITLE = "#支付宝业务明细查询";

    private static final String ACCOUNT_LINE = "#账号：[" + ACCOUNT + "]";

    private static final String PERIOD_LINE = "#起始日期：[2026年11月23日 00:00:00]   终止日期：[2026年11月24日 00:00:00]";

    private static final String BEGIN = "#" + "-".repeat(41) + "业务明细列表" + "-".repeat(40);

    private static final String END = "#" + "-".repeat(41) + "业务明细列表结束" + "-".repeat(36);

    private static final String COLUMNS = String.join(",", "支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间",
            "门店编号", "门店名称", "操作员", "终端号", "对方账户", "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）", "支付宝优惠（元）",
            "商家优惠（元）", "券核销金额（元）", "券名称", "商家红包消费金额（元）", "卡消费金额（元）", "退款批次号/请求号", "服务费（元）", "分润（元）", "备注");

    private static final List<String> HEAD = List.of(TITLE, ACCOUNT_LINE, PERIOD_LINE, BEGIN);

    /** A capture of 12.34 yuan, finished ten minutes after midnight in Beijing (the evening before, in UTC). */
    private static final String PAYMENT_ROW = payment("12.34", "12.34");

    /** A partial refund of 3.00 yuan of that capture. */
    private static final String REFUND_ROW = refund("-3.00", "P-1001-R1");

    private static final String TRADE_TOTAL = "#交易合计：1笔，商家实收共12.34元，商家优惠共0.00元";

    private static final String REFUND_TOTAL = "#退款合计：1笔，商家实收退款共-3.00元，商家优惠退款共0.00元";

    private static final String EXPORTED = "#导出时间：[2026年11月24日 09:12:00]";

    /** The day's bill of a capture and its partial refund, as the simulator writes it. */
    private static final String BILL = bill(HEAD, List.of(PAYMENT_ROW, REFUND_ROW),
            List.of(TRADE_TOTAL, REFUND_TOTAL, EXPORTED));

    private static final List<Statement.Line> BILL_LINES = List.of(
            new Statement.Line("PAYMENT", OUT_TRADE_NO, TRADE_NO, null, 1234, Instant.parse("2026-11-22T16:10:00Z")),
            new Statement.Line("REFUND", OUT_TRADE_NO, TRADE_NO, "P-1001-R1", 300, Instant.parse("2026-11-23T07:30:00Z")));

    private static final String SUMMARY = lines(List.of("#支付宝业务汇总查询", ACCOUNT_LINE, PERIOD_LINE,
            "#" + "-".repeat(41) + "业务汇总列表" + "-".repeat(40),
            "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）",
            "合计,,1,1,9.34,9.34,0.00,0.00,0.00,0.00,0.00,9.34", "#" + "-".repeat(40) + "业务汇总列表结束" + "-".repeat(37),
            EXPORTED));

    // ---- the 业务明细 file ----

    @Test
    void aCaptureAndItsPartialRefundAreReadToTheFenAtTheirBeijingTimes() {
        Statement statement = AlipayChannel.parseDetail(BILL, DAY, SELLER);

        assertThat(statement.day()).isEqualTo(DAY);
        assertThat(statement.lines()).containsExactlyElementsOf(BILL_LINES);
        assertThat(statement.payments()).isEqualTo(1234);
        assertThat(statement.refunds()).isEqualTo(300);
    }

    @Test
    void aCaptureIsItsOrderAmountWhateverTheMerchantReceived() {
        String bill = bill(HEAD, List.of(payment("20.00", "19.50")),
                List.of("#交易合计：1笔，商家实收共19.50元，商家优惠共0.50元", "#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元", EXPORTED));

        assertThat(AlipayChannel.parseDetail(bill, DAY, SELLER).lines()).singleElement()
            .satisfies(line -> assertThat(line.amount()).isEqualTo(2000));
    }

    @Test
    void columnsNamedWithHalfWidthParenthesesAreFoundAllTheSame() {
        String bill = BILL.replace("（元）", "(元)");
        assertThat(bill).doesNotContain("（元）");

        assertThat(AlipayChannel.parseDetail(bill, DAY, SELLER).lines()).containsExactlyElementsOf(BILL_LINES);
    }

    @Test
    void linesEndedWithLineFeedsAloneReadTheSame() {
        assertThat(AlipayChannel.parseDetail(BILL.replace("\r\n", "\n"), DAY, SELLER).lines())
            .containsExactlyElementsOf(BILL_LINES);
    }

    static Stream<Arguments> emptyDays() {
        return Stream.of(
                Arguments.of("both totals at zero", List.of("#交易合计：0笔，商家实收共0.00元，商家优惠共0.00元",
                        "#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元", EXPORTED)),
                Arguments.of("a 交易合计 without an amount and no 退款合计", List.of("#交易合计：0笔", EXPORTED)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("emptyDays")
    void aDayWithoutTradesHasNoLines(String why, List<String> trailer) {
        Statement statement = AlipayChannel.parseDetail(bill(HEAD, List.of(), trailer), DAY, SELLER);

        assertThat(statement.lines()).isEmpty();
        assertThat(statement.payments()).isZero();
        assertThat(statement.refunds()).isZero();
    }

    static Stream<Arguments> refusedBills() {
        List<String> rows = List.of(PAYMENT_ROW, REFUND_ROW);
        return Stream.of(
                // the trailer does not add up
                Arguments.of("more captures counted than rows",
                        bill(HEAD, rows, List.of("#交易合计：2笔，商家实收共12.34元，商家优惠共0.00元", REFUND_TOTAL)),
                        "has 1 rows where its #交易合计 says 2"),
                Arguments.of("captures' 商家实收 off by a fen",
                        bill(HEAD, rows, List.of("#交易合计：1笔，商家实收共12.35元，商家优惠共0.00元", REFUND_TOTAL)),
                        "add up to 1234 fen of 商家实收 where its #交易合计 says 12.35 yuan"),
                Arguments.of("more refunds counted than rows",
                        bill(HEAD, rows, List.of(TRADE_TOTAL, "#退款合计：2笔，商家实收退款共-3.00元，商家优惠退款共0.00元")),
                        "has 1 rows where its #退款合计 says 2"),
                Arguments.of("refunds' 商家实收 off",
                        bill(HEAD, rows, List.of(TRADE_TOTAL, "#退款合计：1笔，商家实收退款共-3.10元，商家优惠退款共0.00元")),
                        "add up to -300 fen of 商家实收 where its #退款合计 says -3.10 yuan"),
                Arguments.of("refund rows without a 退款合计 line", bill(HEAD, rows, List.of(TRADE_TOTAL)),
                        "has 1 refund rows and no #退款合计 line"),
                Arguments.of("a malformed total", bill(HEAD, rows, List.of("#交易合计：一笔", REFUND_TOTAL)),
                        "is a malformed total: #交易合计：一笔"),
                // cut short
                Arguments.of("cut short in its rows", lines(concat(HEAD, List.of(COLUMNS, PAYMENT_ROW))),
                        "no end line (业务明细列表结束): it may be cut short"),
                Arguments.of("cut short after its end line", bill(HEAD, rows, List.of()),
                        "has no #交易合计 line: it may be cut short"),
                Arguments.of("cut short before its column row", lines(HEAD), "has no column row or no end line"),
                Arguments.of("an end line before the column row", lines(concat(HEAD, List.of(END, TRADE_TOTAL))),
                        "ends before its column row"),
                Arguments.of("a row after the end line", bill(HEAD, List.of(PAYMENT_ROW), List.of(REFUND_ROW, TRADE_TOTAL)),
                        "Row 8 of the bill of 2026-11-23 comes after its end line"),
                // not ours, or not of the day
                Arguments.of("another seller's account",
                        bill(List.of(TITLE, "#账号：[20889999999999990156]", PERIOD_LINE, BEGIN), rows,
                                List.of(TRADE_TOTAL, REFUND_TOTAL)),
                        "is not of our seller 2088102147948060: #账号：[20889999999999990156]"),
                Arguments.of("an account line that is not one",
                        bill(List.of(TITLE, "#账号：" + ACCOUNT, PERIOD_LINE, BEGIN), rows, List.of(TRADE_TOTAL, REFUND_TOTAL)),
                        "is not of our seller"),
                Arguments.of("no account line",
                        bill(List.of(TITLE, PERIOD_LINE, BEGIN), rows, List.of(TRADE_TOTAL, REFUND_TOTAL)),
                        "has no #账号 or #起始日期 line"),
                Arguments.of("no period line",
                        bill(List.of(TITLE, ACCOUNT_LINE, BEGIN), rows, List.of(TRADE_TOTAL, REFUND_TOTAL)),
                        "has no #账号 or #起始日期 line"),
                Arguments.of("another day's bill",
                        bill(List.of(TITLE, ACCOUNT_LINE, "#起始日期：[2026年11月22日 00:00:00]   终止日期：[2026年11月23日 00:00:00]",
                                BEGIN), rows, List.of(TRADE_TOTAL, REFUND_TOTAL)),
                        "The bill is not of 2026-11-23"),
                Arguments.of("a period of two days",
                        bill(List.of(TITLE, ACCOUNT_LINE, "#起始日期：[2026年11月23日 00:00:00]   终止日期：[2026年11月25日 00:00:00]",
                                BEGIN), rows, List.of(TRADE_TOTAL, REFUND_TOTAL)),
                        "The bill is not of 2026-11-23"),
                // rows that cannot be read
                Arguments.of("an unknown 业务类型",
                        bill(HEAD, List.of(row(TRADE_NO, OUT_TRADE_NO, "冻结", "2026-11-23 00:10:00", "12.34", "12.34", "")),
                                List.of(TRADE_TOTAL)),
                        "Row 6 of the bill is of 业务类型 冻结, neither a capture (交易) nor a refund (退款)"),
                Arguments.of("an 订单金额 with three decimals",
                        bill(HEAD, List.of(payment("12.345", "12.34")), List.of(TRADE_TOTAL)),
                        "Row 6 of the bill has a 订单金额（元） that is not an amount of yuan to the fen: 12.345"),
                Arguments.of("a 商家实收 that is not a number",
                        bill(HEAD, List.of(payment("12.34", "abc")), List.of(TRADE_TOTAL)),
                        "has a 商家实收（元） that is not an amount of yuan to the fen: abc"),
                Arguments.of("an amount in exponent notation",
                        bill(HEAD, List.of(payment("1e3", "12.34")), List.of(TRADE_TOTAL)),
                        "that is not an amount of yuan to the fen: 1e3"),
                Arguments.of("an amount of sixteen digits of yuan",
                        bill(HEAD, List.of(payment("1234567890123456.00", "12.34")), List.of(TRADE_TOTAL)),
                        "that is not an amount of yuan to the fen: 1234567890123456.00"),
                Arguments.of("a row one cell short",
                        bill(HEAD, List.of(PAYMENT_ROW.substring(0, PAYMENT_ROW.lastIndexOf(','))), List.of(TRADE_TOTAL)),
                        "Row 6 of the bill has 24 cells where its column row has 25"),
                Arguments.of("a row one cell too many",
                        bill(HEAD, List.of(PAYMENT_ROW + ",extra"), List.of(TRADE_TOTAL)),
                        "Row 6 of the bill has 26 cells where its column row has 25"),
                Arguments.of("a column row without 退款批次号/请求号",
                        lines(concat(HEAD, List.of(COLUMNS.replace(",退款批次号/请求号,", ",批次号,"), PAYMENT_ROW, END,
                                TRADE_TOTAL))),
                        "The bill has no column 退款批次号/请求号"),
                Arguments.of("a capture of a negative 订单金额",
                        bill(HEAD, List.of(payment("-12.34", "12.34")), List.of(TRADE_TOTAL)),
                        "Capture row 6 of the bill has an 订单金额 that is not positive"),
                Arguments.of("a refund of a positive 订单金额",
                        bill(HEAD, List.of(PAYMENT_ROW, refund("3.00", "P-1001-R1")), List.of(TRADE_TOTAL, REFUND_TOTAL)),
                        "Refund row 7 of the bill has an 订单金额 that is not negative"),
                Arguments.of("a refund without its number",
                        bill(HEAD, List.of(PAYMENT_ROW, refund("-3.00", "")), List.of(TRADE_TOTAL, REFUND_TOTAL)),
                        "Refund row 7 of the bill has no 退款批次号/请求号"),
                Arguments.of("a row without its trade number",
                        bill(HEAD, List.of(row("", OUT_TRADE_NO, "交易", "2026-11-23 00:10:00", "12.34", "12.34", "")),
                                List.of(TRADE_TOTAL)),
                        "Row 6 of the bill has no 支付宝交易号 or 商户订单号"),
                Arguments.of("a malformed 完成时间",
                        bill(HEAD, List.of(row(TRADE_NO, OUT_TRADE_NO, "交易", "2026/11/23 00:10:00", "12.34", "12.34", "")),
                                List.of(TRADE_TOTAL)),
                        "Row 6 of the bill has a malformed 完成时间: 2026/11/23 00:10:00"),
                Arguments.of("a quote left open", bill(HEAD, List.of("\"" + PAYMENT_ROW), List.of(TRADE_TOTAL)),
                        "Row 6 of the bill has a quote that is not closed"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedBills")
    void aBillThatIsMalformedCutShortNotOursOrDoesNotAddUpIsRefused(String why, String bill, String message) {
        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.parseDetail(bill, DAY, SELLER))
            .withMessageContaining(message);
    }

    // ---- the bill's zip ----

    @Test
    void theZipsGbkDetailFileIsReadAndItsSummaryIgnored() throws IOException {
        byte[] zip = zip(gbk(FILE + "_业务明细.csv", BILL), gbk(FILE + "_业务明细(汇总).csv", SUMMARY));

        Statement statement = AlipayChannel.parseBill(zip, DAY, SELLER);

        assertThat(statement.lines()).containsExactlyElementsOf(BILL_LINES);
        assertThat(statement.payments()).isEqualTo(1234);
        assertThat(statement.refunds()).isEqualTo(300);
    }

    @Test
    void theDetailFileMayComeAfterItsSummaryAndADirectory() throws IOException {
        byte[] zip = zip(new BillFile("bills/", new byte[0]), gbk(FILE + "_业务明细(汇总).csv", SUMMARY),
                gbk(FILE + "_业务明细.csv", BILL));

        assertThat(AlipayChannel.parseBill(zip, DAY, SELLER).lines()).containsExactlyElementsOf(BILL_LINES);
    }

    @Test
    void aZipWithoutTheDetailFileIsRefused() throws IOException {
        byte[] zip = zip(gbk(FILE + "_业务明细(汇总).csv", SUMMARY));

        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.parseBill(zip, DAY, SELLER))
            .withMessageContaining("The bill of 2026-11-23 has no 业务明细 file");
    }

    @Test
    void bytesThatAreNoZipHoldNoDetailFile() {
        byte[] notAZip = "#支付宝业务明细查询".getBytes(GBK);

        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.parseBill(notAZip, DAY, SELLER))
            .withMessageContaining("has no 业务明细 file");
    }

    @Test
    void aDetailFileNamedForAnotherDayIsRefused() throws IOException {
        byte[] zip = zip(gbk(ACCOUNT + "_20261122_业务明细.csv", BILL));

        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.parseBill(zip, DAY, SELLER))
            .withMessageContaining("The bill's " + ACCOUNT + "_20261122_业务明细.csv is not of 2026-11-23");
    }

    @Test
    void aZipHoldingTwoDetailFilesIsRefused() throws IOException {
        byte[] zip = zip(gbk(FILE + "_业务明细.csv", BILL), gbk("other/" + FILE + "_业务明细.csv", BILL));

        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.parseBill(zip, DAY, SELLER))
            .withMessageContaining("holds two 业务明细 files");
    }

    @Test
    void aZipOfMoreThanSixteenFilesIsRefused() throws IOException {
        List<BillFile> files = new ArrayList<>();
        for (int i = 0; i < 17; i++) {
            files.add(gbk("extra-" + i + ".txt", "x"));
        }

        byte[] zip = zip(files.toArray(BillFile[]::new));

        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.parseBill(zip, DAY, SELLER))
            .withMessageContaining("holds more than 16 files");
    }

    @Test
    void aDetailFileThatIsNotGbkIsRefusedRatherThanReadGarbled() throws IOException {
        byte[] notGbk = { '#', (byte) 0xFF, (byte) 0xFF, '\r', '\n' };
        byte[] zip = zip(new BillFile(FILE + "_业务明细.csv", notGbk));

        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.parseBill(zip, DAY, SELLER))
            .withMessageContaining("is not GBK text");
    }

    @Test
    void theZippedDetailIsCheckedAsTheDetailItselfIs() throws IOException {
        byte[] zip = zip(gbk(FILE + "_业务明细.csv", BILL));

        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.parseBill(zip, DAY, "2088999999999999"))
            .withMessageContaining("is not of our seller 2088999999999999");
    }

    // ---- amounts ----

    @ParameterizedTest
    @CsvSource({ "1234, 12.34", "1, 0.01", "10, 0.10", "100, 1.00", "9223372036854775807, 92233720368547758.07" })
    void yuanIsFenWithTwoDecimalsExactly(long fen, String yuan) {
        assertThat(AlipayChannel.yuan(fen)).isEqualTo(yuan);
    }

    @ParameterizedTest
    @ValueSource(longs = { 0, -1, Long.MIN_VALUE })
    void yuanRefusesAnAmountThatIsNotPositive(long fen) {
        assertThatExceptionOfType(HttpClientErrorException.class).isThrownBy(() -> AlipayChannel.yuan(fen))
            .withMessageContaining("Alipay takes positive amounts, not " + fen)
            .satisfies(ex -> assertThat(ex.getStatusCode().value()).isEqualTo(400));
    }

    @ParameterizedTest
    @CsvSource({ "12.34, 1234", "0.10, 10", "0.1, 10", "12, 1200", "0.01, 1", "0, 0", "-1.00, -100",
            "999999999999999.99, 99999999999999999" })
    void fenOrNullReadsYuanOfAtMostTwoDecimalsAndFifteenDigitsExactly(String yuan, long fen) {
        // the pattern (-?\d{1,15}(\.\d{1,2})?) lets a minus sign through: callers check the sign themselves
        assertThat(AlipayChannel.fenOrNull(yuan)).isEqualTo(fen);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = { "12.345", "1.000", "1e3", "1E3", "+1.00", " 1.00", "1.00 ", "1.", ".50", "1,000.00", "abc",
            "--1", "0x10", "1234567890123456", "99999999999999999999", "99999999999999999999999999.00" })
    void fenOrNullIsNullForWhatIsNotAnAmountOfYuanToTheFen(String yuan) {
        assertThat(AlipayChannel.fenOrNull(yuan)).isNull();
    }

    // ---- notification forms ----

    @Test
    void aFormIsDecodedAsUtf8WithPlusAsASpaceInItsOrder() {
        assertThat(AlipayChannel.form("a=1&subject=%E6%94%AF%E4%BB%98%E5%AE%9D&memo=x+y%2Bz&empty=&flag"))
            .containsExactly(entry("a", "1"), entry("subject", "支付宝"), entry("memo", "x y+z"), entry("empty", ""),
                    entry("flag", ""));
    }

    @Test
    void aFormsSurroundingWhitespaceAndEmptyPairsAreSkipped() {
        assertThat(AlipayChannel.form("\r\n&a=1&&b=2&\n")).containsExactly(entry("a", "1"), entry("b", "2"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = { "a=1&a=2|a", "a=1&a=1|a", "a=1&%61=2|a", "sign=x&b=1&sign=y|sign",
            "total_amount=1.00&total%5Famount=100.00|total_amount" })
    void aFormNamingAParameterTwiceIsRefused(String body, String name) {
        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.form(body))
            .withMessageContaining("parameter " + name + " twice");
    }

    @ParameterizedTest
    @ValueSource(strings = { "", " ", "\r\n" })
    void anEmptyFormIsRefused(String body) {
        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.form(body))
            .withMessageContaining("empty body");
    }

    @Test
    void aFormWithAMalformedEscapeIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.form("a=%zz"));
    }

    // ---- CSV cells ----

    static Stream<Arguments> rows() {
        return Stream.of(Arguments.of("a,b,c", List.of("a", "b", "c")),
                Arguments.of("a\t, b ,c\t", List.of("a", "b", "c")),
                Arguments.of("a,,c,", List.of("a", "", "c", "")),
                Arguments.of("", List.of("")),
                Arguments.of("\"x,y\",z", List.of("x,y", "z")),
                Arguments.of(" \"x,y\" ,z", List.of("x,y", "z")),
                Arguments.of("\"he said \"\"hi\"\"\",z", List.of("he said \"hi\"", "z")),
                Arguments.of("ab\"c,d", List.of("ab\"c", "d")),
                Arguments.of("\"\"", List.of("")));
    }

    @ParameterizedTest
    @MethodSource("rows")
    void aRowIsSplitIntoStrippedCellsQuotedOrNot(String row, List<String> cells) {
        assertThat(AlipayChannel.split(row, 1)).containsExactlyElementsOf(cells);
    }

    @Test
    void aRowWithAQuoteLeftOpenIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> AlipayChannel.split("\"abc,def", 9))
            .withMessageContaining("Row 9 of the bill has a quote that is not closed");
    }

    // ---- building bills ----

    /** A row as the simulator writes it: Alipay's 25 columns, some cells ended with a tab. */
    private static String row(String tradeNo, String outTradeNo, String type, String finished, String ordered,
            String receipt, String refundNo) {
        return String.join(",", tradeNo + "\t", outTradeNo + "\t", type + "\t", "Tally order", "2026-11-23 00:09:41",
                finished, "\t", "\t", "\t", "\t", "*模拟(sim***@example.com)\t", ordered, receipt, "0.00", "0.00", "0.00",
                "0.00", "0.00", "", "0.00\t", "0.00", refundNo + "\t", "0.00", "0.00", "Tally order");
    }

    private static String payment(String ordered, String receipt) {
        return row(TRADE_NO, OUT_TRADE_NO, "交易", "2026-11-23 00:10:00", ordered, receipt, "");
    }

    private static String refund(String amount, String refundNo) {
        return row(TRADE_NO, OUT_TRADE_NO, "退款", "2026-11-23 15:30:00", amount, amount, refundNo);
    }

    /** The 业务明细 file: the head lines, the column row, the rows, the end line, the trailer. */
    private static String bill(List<String> head, List<String> rows, List<String> trailer) {
        return lines(concat(head, List.of(COLUMNS), rows, List.of(END), trailer));
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        return Arrays.stream(parts).flatMap(List::stream).toList();
    }

    private static String lines(List<String> lines) {
        return String.join("\r\n", lines) + "\r\n";
    }

    private record BillFile(String name, byte[] content) {
    }

    private static BillFile gbk(String name, String text) {
        return new BillFile(name, text.getBytes(GBK));
    }

    /** A zip as Alipay's: entry names in GBK (no UTF-8 flag). */
    private static byte[] zip(BillFile... files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes, GBK)) {
            for (BillFile file : files) {
                zip.putNextEntry(new ZipEntry(file.name()));
                zip.write(file.content());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
