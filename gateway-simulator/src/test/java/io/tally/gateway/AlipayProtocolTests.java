package io.tally.gateway;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import com.alipay.api.AlipayApiException;
import com.alipay.api.AlipayClient;
import com.alipay.api.AlipayConfig;
import com.alipay.api.DefaultAlipayClient;
import com.alipay.api.domain.AlipayDataDataserviceBillDownloadurlQueryModel;
import com.alipay.api.domain.AlipayTradeCloseModel;
import com.alipay.api.domain.AlipayTradeFastpayRefundQueryModel;
import com.alipay.api.domain.AlipayTradePrecreateModel;
import com.alipay.api.domain.AlipayTradeQueryModel;
import com.alipay.api.domain.AlipayTradeRefundModel;
import com.alipay.api.internal.util.AlipaySignature;
import com.alipay.api.request.AlipayDataDataserviceBillDownloadurlQueryRequest;
import com.alipay.api.request.AlipayTradeCloseRequest;
import com.alipay.api.request.AlipayTradeFastpayRefundQueryRequest;
import com.alipay.api.request.AlipayTradePrecreateRequest;
import com.alipay.api.request.AlipayTradeQueryRequest;
import com.alipay.api.request.AlipayTradeRefundRequest;
import com.alipay.api.response.AlipayDataDataserviceBillDownloadurlQueryResponse;
import com.alipay.api.response.AlipayTradeCloseResponse;
import com.alipay.api.response.AlipayTradeFastpayRefundQueryResponse;
import com.alipay.api.response.AlipayTradePrecreateResponse;
import com.alipay.api.response.AlipayTradeQueryResponse;
import com.alipay.api.response.AlipayTradeRefundResponse;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.ConfigurableApplicationContext;

import io.tally.channel.PemKeys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The simulator as Alipay, spoken to only through Alipay's official Java SDK ({@code DefaultAlipayClient}, public-key
 * mode, RSA2), which signs the requests and verifies every answer's signature: QR trades, queries, payment
 * notifications (verified with {@code AlipaySignature.rsaCheckV1}, sent again until answered {@code success}),
 * closes, idempotent refunds and their queries, the day's bill (a zip of GBK CSV), refusals of requests that are not
 * the app's, answers the SDK cannot verify, and the faults. The app's keys are the test merchant's, "Alipay's" the
 * test channel's (config/test-keys).
 */
class AlipayProtocolTests {

    private static final String APP_ID = "2021000000000001";

    private static final String SELLER_ID = "2088000000000001";

    private static final Path KEYS = Path.of("../config/test-keys");

    private static final ZoneId BEIJING = ZoneId.of("Asia/Shanghai");

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private static final DateTimeFormatter CN_DAY = DateTimeFormatter.ofPattern("yyyy年MM月dd日");

    private static final Charset GBK = Charset.forName("GBK");

    private static final JsonMapper json = JsonMapper.builder().build();

    private static final HttpClient http = HttpClient.newHttpClient();

    private static final List<Received> received = new CopyOnWriteArrayList<>();

    /** How many sends of each trade's notification the merchant answers {@code fail} before {@code success}. */
    private static final Map<String, AtomicInteger> failuresToAnswer = new ConcurrentHashMap<>();

    private static HttpServer merchantServer;

    private static ConfigurableApplicationContext gateway;

    private static String base;

    /** The app's private key as the SDK takes it (base64 PKCS#8). */
    private static String appPrivateKey;

    /** "Alipay's" public key as the SDK takes it (base64 X.509): the test channel's. */
    private static String alipayPublicKey;

    private static AlipayClient alipay;

    /** A notification as the merchant received it. */
    record Received(Instant at, String contentType, String body) {

        Map<String, String> params() {
            Map<String, String> params = new LinkedHashMap<>();
            for (String pair : this.body.split("&")) {
                int eq = pair.indexOf('=');
                params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
            return params;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        appPrivateKey = base64(PemKeys.privateKey(Files.readString(KEYS.resolve("merchant-private.pem"))).getEncoded());
        alipayPublicKey = base64(PemKeys.publicKey(Files.readString(KEYS.resolve("channel-public.pem"))).getEncoded());
        merchantServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        merchantServer.createContext("/alipay/notify", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Received notification = new Received(Instant.now(),
                    String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")), body);
            received.add(notification);
            AtomicInteger failures = failuresToAnswer.get(String.valueOf(notification.params().get("out_trade_no")));
            boolean fail = failures != null && failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
            byte[] answer = (fail ? "fail" : "success").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        merchantServer.start();
        // no gateway.alipay.private-key-location: "Alipay" signs with the channel's key, verified with channel-public.pem
        gateway = GatewayApplication.application().run("--server.port=0",
                "--gateway.private-key-location=file:../config/test-keys/channel-private.pem",
                "--gateway.statement-zone=Asia/Shanghai", "--gateway.alipay.apps[0].app-id=" + APP_ID,
                "--gateway.alipay.apps[0].seller-id=" + SELLER_ID,
                "--gateway.alipay.apps[0].public-key-location=file:../config/test-keys/merchant-public.pem",
                "--gateway.alipay.notify-retry-delays=300ms,300ms,300ms");
        base = "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port");
        alipay = client(APP_ID, appPrivateKey, alipayPublicKey);
    }

    @AfterAll
    static void stop() {
        gateway.close();
        merchantServer.stop(0);
    }

    @AfterEach
    void reset() throws Exception {
        send("DELETE", "/gateway/faults", null);
        failuresToAnswer.clear();
    }

    @Test
    void publishesAlipaysPublicKeyWhichIsTheChannelsWhenNoneOfItsOwnIsConfigured() throws Exception {
        HttpResponse<String> key = send("GET", "/alipay/public-key", null);
        assertThat(key.statusCode()).isEqualTo(200);
        assertThat(base64(PemKeys.publicKey(key.body()).getEncoded())).isEqualTo(alipayPublicKey);
    }

    @Test
    void opensAQrTradeThatIsPaidNotifiedUntilAcknowledgedAndQueried() throws Exception {
        String outTradeNo = tradeNo();
        AlipayTradePrecreateResponse created = precreate(alipay, outTradeNo, "12.34");
        assertThat(created.isSuccess()).as(created.getBody()).isTrue();
        assertThat(created.getCode()).isEqualTo("10000");
        assertThat(created.getOutTradeNo()).isEqualTo(outTradeNo);
        assertThat(created.getQrCode()).startsWith("https://qr.alipay.com/");
        assertThat(precreate(alipay, outTradeNo, "12.34").getQrCode()).as("the same trade again: the same QR code")
            .isEqualTo(created.getQrCode());
        AlipayTradePrecreateResponse other = precreate(alipay, outTradeNo, "99.99");
        assertThat(other.isSuccess()).isFalse();
        assertThat(other.getSubCode()).isEqualTo("ACQ.CONTEXT_INCONSISTENT");

        // a precreated trade is Alipay's only once a buyer scans its QR code: until then its query knows none
        AlipayTradeQueryResponse waiting = query(alipay, outTradeNo);
        assertThat(waiting.isSuccess()).as(waiting.getBody()).isFalse();
        assertThat(waiting.getSubCode()).isEqualTo("ACQ.TRADE_NOT_EXIST");
        assertThat(waiting.getBody()).as("signed, so it can be acted on").contains("\"sign\"");

        failuresToAnswer.put(outTradeNo, new AtomicInteger(1));
        assertThat(pay(outTradeNo)).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> received(outTradeNo).size() == 2);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
            .until(() -> received(outTradeNo).size() == 2);
        List<Received> sends = received(outTradeNo);
        Map<String, String> first = sends.get(0).params();
        for (Received send : sends) {
            assertThat(send.contentType()).startsWith("application/x-www-form-urlencoded").containsIgnoringCase("utf-8");
            Map<String, String> params = send.params();
            assertThat(AlipaySignature.rsaCheckV1(new HashMap<>(params), alipayPublicKey, "UTF-8", "RSA2"))
                .as("signed by Alipay's key: %s", send.body())
                .isTrue();
            assertThat(params.get("notify_id")).as("the same notification each send").isEqualTo(first.get("notify_id"));
            assertThat(LocalDateTime.parse(params.get("notify_time"), TIME)).isNotNull();
        }
        assertThat(first).containsEntry("notify_type", "trade_status_sync")
            .containsEntry("app_id", APP_ID)
            .containsEntry("seller_id", SELLER_ID)
            .containsEntry("out_trade_no", outTradeNo)
            .containsEntry("trade_no", ledger(outTradeNo).get("tradeNo").asString())
            .containsEntry("trade_status", "TRADE_SUCCESS")
            .containsEntry("total_amount", "12.34")
            .containsEntry("receipt_amount", "12.34")
            .containsEntry("buyer_pay_amount", "12.34")
            .containsEntry("subject", "Order " + outTradeNo)
            .containsEntry("charset", "utf-8")
            .containsEntry("version", "1.0")
            .containsEntry("sign_type", "RSA2");
        Map<String, String> tampered = new HashMap<>(first);
        tampered.put("total_amount", "0.01");
        assertThat(AlipaySignature.rsaCheckV1(tampered, alipayPublicKey, "UTF-8", "RSA2"))
            .as("the signature covers the amount")
            .isFalse();

        AlipayTradeQueryResponse paid = query(alipay, outTradeNo);
        assertThat(paid.getTradeStatus()).isEqualTo("TRADE_SUCCESS");
        assertThat(paid.getTradeNo()).isEqualTo(first.get("trade_no"));
        assertThat(paid.getBuyerPayAmount()).isEqualTo("12.34");
        assertThat(paid.getSendPayDate()).isNotNull();
        assertThat(paid.getSendPayDate().toInstant())
            .isEqualTo(LocalDateTime.parse(first.get("gmt_payment"), TIME).atZone(BEIJING).toInstant());
        assertThat(precreate(alipay, outTradeNo, "12.34").getSubCode()).isEqualTo("ACQ.TRADE_HAS_SUCCESS");
    }

    @Test
    void refundsOncePerRequestNumberAndAnswersTheRefundsQuery() throws Exception {
        String outTradeNo = paidTrade("12.34");
        AlipayTradeRefundResponse first = refund(outTradeNo, "5.00", outTradeNo + "R1");
        assertThat(first.isSuccess()).as(first.getBody()).isTrue();
        assertThat(first.getFundChange()).isEqualTo("Y");
        assertThat(first.getRefundFee()).isEqualTo("5.00");
        assertThat(first.getGmtRefundPay()).isNotNull();
        AlipayTradeRefundResponse again = refund(outTradeNo, "5.00", outTradeNo + "R1");
        assertThat(again.isSuccess()).as(again.getBody()).isTrue();
        assertThat(again.getFundChange()).as("the same request again moves no money").isEqualTo("N");
        assertThat(again.getRefundFee()).isEqualTo("5.00");
        assertThat(refund(outTradeNo, "6.00", outTradeNo + "R1").getSubCode()).isEqualTo("ACQ.DISCORDANT_REPEAT_REQUEST");
        assertThat(refund(outTradeNo, "7.35", outTradeNo + "R2").getSubCode()).as("more than is left")
            .isEqualTo("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL");
        JsonNode entry = ledger(outTradeNo);
        assertThat(entry.get("refunded").asLong()).isEqualTo(500);
        assertThat(entry.get("refunds")).hasSize(1);

        AlipayTradeFastpayRefundQueryResponse found = refundQuery(outTradeNo, outTradeNo + "R1");
        assertThat(found.isSuccess()).as(found.getBody()).isTrue();
        assertThat(found.getRefundStatus()).isEqualTo("REFUND_SUCCESS");
        assertThat(found.getRefundAmount()).isEqualTo("5.00");
        assertThat(found.getOutRequestNo()).isEqualTo(outTradeNo + "R1");
        assertThat(found.getGmtRefundPay()).isEqualTo(first.getGmtRefundPay());
        AlipayTradeFastpayRefundQueryResponse unknown = refundQuery(outTradeNo, outTradeNo + "R9");
        assertThat(unknown.isSuccess()).isTrue();
        assertThat(unknown.getRefundStatus()).as("a refund Alipay did not receive has no status").isNull();

        AlipayTradeRefundResponse rest = refund(outTradeNo, "7.34", outTradeNo + "R3");
        assertThat(rest.getFundChange()).isEqualTo("Y");
        assertThat(rest.getRefundFee()).as("cumulative").isEqualTo("12.34");
        AlipayTradeQueryResponse refunded = query(alipay, outTradeNo);
        assertThat(refunded.getTradeStatus()).as("refunded in full: closed, its payment date still there")
            .isEqualTo("TRADE_CLOSED");
        assertThat(refunded.getSendPayDate()).isNotNull();
        assertThat(ledger(outTradeNo).get("refunded").asLong()).isEqualTo(1234);
    }

    @Test
    void cannotCloseATradeNoBuyerScannedAndRefusesToCloseAPaidOne() throws Exception {
        String unpaid = tradeNo();
        assertThat(precreate(alipay, unpaid, "1.00").isSuccess()).isTrue();
        AlipayTradeCloseResponse notKnown = close(alipay, unpaid);
        assertThat(notKnown.isSuccess()).as(notKnown.getBody()).isFalse();
        assertThat(notKnown.getSubCode()).as("Alipay does not know a QR code nobody scanned")
            .isEqualTo("ACQ.TRADE_NOT_EXIST");
        assertThat(ledger(unpaid).get("status").asString()).as("so it stays payable until it expires")
            .isEqualTo("WAIT_PAY");

        String paid = paidTrade("1.00");
        AlipayTradeCloseResponse refused = close(alipay, paid);
        assertThat(refused.isSuccess()).isFalse();
        assertThat(refused.getCode()).isEqualTo("40004");
        assertThat(refused.getSubCode()).isEqualTo("ACQ.TRADE_STATUS_ERROR");
        assertThat(ledger(paid).get("status").asString()).isEqualTo("SUCCESS");

        String unknown = tradeNo();
        assertThat(close(alipay, unknown).getSubCode()).isEqualTo("ACQ.TRADE_NOT_EXIST");
        AlipayTradeQueryResponse notThere = query(alipay, unknown);
        assertThat(notThere.getCode()).isEqualTo("40004");
        assertThat(notThere.getSubCode()).isEqualTo("ACQ.TRADE_NOT_EXIST");
    }

    @Test
    void servesTheDaysBillAsAZipOfGbkCsvInAlipaysLayout() throws Exception {
        String first = paidTrade("12.34");
        String second = paidTrade("0.50");
        assertThat(refund(first, "2.34", first + "R1").isSuccess()).isTrue();
        AlipayTradeQueryResponse firstPaid = query(alipay, first);
        LocalDate day = firstPaid.getSendPayDate().toInstant().atZone(BEIJING).toLocalDate();

        AlipayDataDataserviceBillDownloadurlQueryModel model = new AlipayDataDataserviceBillDownloadurlQueryModel();
        model.setBillType("trade");
        model.setBillDate(day.toString());
        AlipayDataDataserviceBillDownloadurlQueryRequest request = new AlipayDataDataserviceBillDownloadurlQueryRequest();
        request.setBizModel(model);
        AlipayDataDataserviceBillDownloadurlQueryResponse link = alipay.execute(request);
        assertThat(link.isSuccess()).as(link.getBody()).isTrue();
        assertThat(link.getBillDownloadUrl()).startsWith(base + "/alipay/bills/");
        HttpResponse<byte[]> download = http.send(HttpRequest.newBuilder(URI.create(link.getBillDownloadUrl())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.statusCode()).isEqualTo(200);

        Map<String, byte[]> files = unzip(download.body());
        String prefix = SELLER_ID + "0156_" + day.format(DateTimeFormatter.BASIC_ISO_DATE);
        assertThat(files).containsOnlyKeys(prefix + "_业务明细.csv", prefix + "_业务明细(汇总).csv");
        byte[] detailBytes = files.get(prefix + "_业务明细.csv");
        assertThat(new String(detailBytes, StandardCharsets.UTF_8)).as("GBK, not UTF-8").doesNotContain("业务明细");
        List<String> rows = new String(detailBytes, GBK).lines().toList();
        assertThat(rows.get(0)).isEqualTo("#支付宝业务明细查询");
        assertThat(rows.get(1)).isEqualTo("#账号：[" + SELLER_ID + "0156]");
        assertThat(rows.get(2)).isEqualTo("#起始日期：[" + CN_DAY.format(day) + " 00:00:00]   终止日期：["
                + CN_DAY.format(day.plusDays(1)) + " 00:00:00]");
        assertThat(rows.get(3)).startsWith("#-----").contains("业务明细列表");
        assertThat(rows.get(4)).startsWith("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,")
            .contains(",订单金额（元）,商家实收（元）,")
            .contains(",退款批次号/请求号,")
            .endsWith(",备注");
        int end = -1;
        for (int i = 5; i < rows.size(); i++) {
            if (rows.get(i).contains("业务明细列表结束")) {
                end = i;
                break;
            }
        }
        assertThat(end).as("the end line").isPositive();
        List<List<String>> data = new ArrayList<>();
        for (String row : rows.subList(5, end)) {
            data.add(Arrays.stream(row.split(",", -1)).map(String::strip).toList());
        }
        assertThat(data).allSatisfy(cells -> assertThat(cells).hasSize(25));

        List<String> firstPayment = row(data, first, "交易");
        assertThat(firstPayment.get(0)).isEqualTo(firstPaid.getTradeNo());
        assertThat(firstPayment.get(3)).isEqualTo("Order " + first);
        assertThat(LocalDateTime.parse(firstPayment.get(5), TIME).atZone(BEIJING).toInstant())
            .isEqualTo(firstPaid.getSendPayDate().toInstant());
        assertThat(firstPayment.subList(11, 13)).containsExactly("12.34", "12.34");
        assertThat(firstPayment.get(21)).isEmpty();
        List<String> firstRefund = row(data, first, "退款");
        assertThat(firstRefund.subList(11, 13)).containsExactly("-2.34", "-2.34");
        assertThat(firstRefund.get(21)).isEqualTo(first + "R1");
        assertThat(row(data, second, "交易").subList(11, 13)).containsExactly("0.50", "0.50");

        long payments = data.stream().filter(cells -> cells.get(2).equals("交易")).count();
        long refunds = data.stream().filter(cells -> cells.get(2).equals("退款")).count();
        BigDecimal received = data.stream()
            .filter(cells -> cells.get(2).equals("交易"))
            .map(cells -> new BigDecimal(cells.get(12)))
            .reduce(BigDecimal.ZERO, BigDecimal::add);
        assertThat(payments + refunds).isEqualTo(data.size());
        assertThat(rows.get(end + 1)).isEqualTo("#交易合计：" + payments + "笔，商家实收共" + received.toPlainString()
                + "元，商家优惠共0.00元");
        assertThat(rows.get(end + 2)).startsWith("#退款合计：" + refunds + "笔，商家实收退款共-");
        assertThat(rows.get(end + 3)).startsWith("#导出时间：[");

        String summary = new String(files.get(prefix + "_业务明细(汇总).csv"), GBK);
        assertThat(summary).contains("\n合计,," + payments + "," + refunds + ",").contains("业务汇总列表结束");
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/alipay/bills/nosuchbill")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }

    @Test
    void refusesARequestSignedWithAnotherKeyAndOneOfAnUnknownApp() throws Exception {
        String outTradeNo = tradeNo();
        AlipayClient impostor = client(APP_ID, base64(PemKeys.generate().getPrivate().getEncoded()), alipayPublicKey);
        AlipayTradePrecreateResponse refused = precreate(impostor, outTradeNo, "1.00");
        assertThat(refused.isSuccess()).isFalse();
        assertThat(refused.getCode()).isEqualTo("40002");
        assertThat(refused.getSubCode()).isEqualTo("isv.invalid-signature");
        assertThat(ledgerHas(outTradeNo)).as("nothing was created").isFalse();

        AlipayClient stranger = client("2021999999999999", appPrivateKey, alipayPublicKey);
        AlipayTradePrecreateResponse unknownApp = precreate(stranger, outTradeNo, "1.00");
        assertThat(unknownApp.getCode()).isEqualTo("40002");
        assertThat(unknownApp.getSubCode()).isEqualTo("isv.invalid-app-id");
        assertThat(ledgerHas(outTradeNo)).isFalse();
    }

    @Test
    void anAnswerTheSdkCannotVerifyWithAlipaysPublicKeyIsNotAccepted() throws Exception {
        String outTradeNo = paidTrade("1.00");
        AlipayClient misled = client(APP_ID, appPrivateKey, base64(PemKeys.generate().getPublic().getEncoded()));
        assertThatThrownBy(() -> query(misled, outTradeNo)).isInstanceOf(AlipayApiException.class)
            .hasMessageContaining("sign check fail");
        assertThat(query(alipay, outTradeNo).getTradeStatus()).as("the same answer, verified with Alipay's key")
            .isEqualTo("TRADE_SUCCESS");
    }

    @Test
    void answersInjectedFailuresAndRefusalsAsAlipayDoes() throws Exception {
        String outTradeNo = paidTrade("3.00");
        assertThat(send("POST", "/gateway/faults", "{\"failQueries\":1,\"failCloses\":1,\"failRefunds\":1,\"refuseRefunds\":1}")
            .statusCode()).isEqualTo(200);
        AlipayTradeQueryResponse failed = query(alipay, outTradeNo);
        assertThat(failed.isSuccess()).isFalse();
        assertThat(failed.getCode()).isEqualTo("20000");
        assertThat(failed.getSubCode()).isEqualTo("isp.unknow-error");
        assertThat(query(alipay, outTradeNo).getTradeStatus()).isEqualTo("TRADE_SUCCESS");
        assertThat(close(alipay, outTradeNo).getSubCode()).isEqualTo("isp.unknow-error");
        assertThat(refund(outTradeNo, "1.00", outTradeNo + "R1").getSubCode()).isEqualTo("isp.unknow-error");
        AlipayTradeRefundResponse refused = refund(outTradeNo, "1.00", outTradeNo + "R1");
        assertThat(refused.getCode()).isEqualTo("40004");
        assertThat(refused.getSubCode()).isEqualTo("ACQ.TRADE_NOT_ALLOW_REFUND");
        assertThat(ledger(outTradeNo).get("refunds")).isEmpty();
        assertThat(refund(outTradeNo, "1.00", outTradeNo + "R1").getFundChange()).isEqualTo("Y");
    }

    private static AlipayClient client(String appId, String privateKey, String alipayKey) throws AlipayApiException {
        AlipayConfig config = new AlipayConfig();
        config.setServerUrl(base + "/alipay/gateway.do");
        config.setAppId(appId);
        config.setPrivateKey(privateKey);
        config.setAlipayPublicKey(alipayKey);
        config.setFormat("json");
        config.setCharset("UTF-8");
        config.setSignType("RSA2");
        return new DefaultAlipayClient(config);
    }

    private static AlipayTradePrecreateResponse precreate(AlipayClient client, String outTradeNo, String amount)
            throws AlipayApiException {
        AlipayTradePrecreateModel model = new AlipayTradePrecreateModel();
        model.setOutTradeNo(outTradeNo);
        model.setTotalAmount(amount);
        model.setSubject("Order " + outTradeNo);
        model.setTimeExpire(TIME.format(LocalDateTime.now(BEIJING).plusMinutes(10)));
        AlipayTradePrecreateRequest request = new AlipayTradePrecreateRequest();
        request.setBizModel(model);
        request.setNotifyUrl("http://127.0.0.1:" + merchantServer.getAddress().getPort() + "/alipay/notify");
        return client.execute(request);
    }

    private static AlipayTradeQueryResponse query(AlipayClient client, String outTradeNo) throws AlipayApiException {
        AlipayTradeQueryModel model = new AlipayTradeQueryModel();
        model.setOutTradeNo(outTradeNo);
        AlipayTradeQueryRequest request = new AlipayTradeQueryRequest();
        request.setBizModel(model);
        return client.execute(request);
    }

    private static AlipayTradeCloseResponse close(AlipayClient client, String outTradeNo) throws AlipayApiException {
        AlipayTradeCloseModel model = new AlipayTradeCloseModel();
        model.setOutTradeNo(outTradeNo);
        AlipayTradeCloseRequest request = new AlipayTradeCloseRequest();
        request.setBizModel(model);
        return client.execute(request);
    }

    private static AlipayTradeRefundResponse refund(String outTradeNo, String amount, String requestNo)
            throws AlipayApiException {
        AlipayTradeRefundModel model = new AlipayTradeRefundModel();
        model.setOutTradeNo(outTradeNo);
        model.setRefundAmount(amount);
        model.setOutRequestNo(requestNo);
        model.setRefundReason("test");
        AlipayTradeRefundRequest request = new AlipayTradeRefundRequest();
        request.setBizModel(model);
        return alipay.execute(request);
    }

    private static AlipayTradeFastpayRefundQueryResponse refundQuery(String outTradeNo, String requestNo)
            throws AlipayApiException {
        AlipayTradeFastpayRefundQueryModel model = new AlipayTradeFastpayRefundQueryModel();
        model.setOutTradeNo(outTradeNo);
        model.setOutRequestNo(requestNo);
        model.setQueryOptions(List.of("gmt_refund_pay"));
        AlipayTradeFastpayRefundQueryRequest request = new AlipayTradeFastpayRefundQueryRequest();
        request.setBizModel(model);
        return alipay.execute(request);
    }

    /** A trade precreated through the SDK and paid by the user (its notification answered {@code success}). */
    private static String paidTrade(String amount) throws Exception {
        String outTradeNo = tradeNo();
        AlipayTradePrecreateResponse created = precreate(alipay, outTradeNo, amount);
        assertThat(created.isSuccess()).as(created.getBody()).isTrue();
        assertThat(pay(outTradeNo)).isEqualTo(200);
        return outTradeNo;
    }

    private static String tradeNo() {
        return "A" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    }

    /** The user pays the trade (the simulator's pay action). */
    private static int pay(String outTradeNo) throws Exception {
        return send("POST", "/gateway/trades/" + outTradeNo + "/pay", "{}").statusCode();
    }

    private static List<Received> received(String outTradeNo) {
        return received.stream().filter(r -> outTradeNo.equals(r.params().get("out_trade_no"))).toList();
    }

    private static List<String> row(List<List<String>> data, String outTradeNo, String type) {
        return data.stream()
            .filter(cells -> cells.get(1).equals(outTradeNo) && cells.get(2).equals(type))
            .findFirst()
            .orElseThrow(() -> new AssertionError("No " + type + " row of " + outTradeNo + " in " + data));
    }

    /** The files of a zip whose entry names are GBK (as Alipay's are). */
    private static Map<String, byte[]> unzip(byte[] zip) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip), GBK)) {
            ZipEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                files.put(entry.getName(), in.readAllBytes());
            }
        }
        return files;
    }

    private static JsonNode ledger(String outTradeNo) throws Exception {
        for (JsonNode entry : json.readTree(send("GET", "/gateway/ledger", null).body())) {
            if (entry.get("outTradeNo").asString().equals(outTradeNo)) {
                return entry;
            }
        }
        throw new AssertionError("No ledger entry for " + outTradeNo);
    }

    private static boolean ledgerHas(String outTradeNo) throws Exception {
        for (JsonNode entry : json.readTree(send("GET", "/gateway/ledger", null).body())) {
            if (entry.get("outTradeNo").asString().equals(outTradeNo)) {
                return true;
            }
        }
        return false;
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String base64(byte[] der) {
        return Base64.getEncoder().encodeToString(der);
    }
}
