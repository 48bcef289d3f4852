package io.tally.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;
import com.wechat.pay.java.core.Config;
import com.wechat.pay.java.core.RSAPublicKeyConfig;
import com.wechat.pay.java.core.exception.ServiceException;
import com.wechat.pay.java.core.exception.ValidationException;
import com.wechat.pay.java.core.http.DefaultHttpClientBuilder;
import com.wechat.pay.java.core.notification.NotificationParser;
import com.wechat.pay.java.core.notification.RequestParam;
import com.wechat.pay.java.service.billdownload.BillDownloadServiceExtension;
import com.wechat.pay.java.service.billdownload.DigestBillEntity;
import com.wechat.pay.java.service.billdownload.model.BillType;
import com.wechat.pay.java.service.billdownload.model.GetTradeBillRequest;
import com.wechat.pay.java.service.billdownload.model.TarType;
import com.wechat.pay.java.service.payments.model.Transaction;
import com.wechat.pay.java.service.payments.nativepay.NativePayService;
import com.wechat.pay.java.service.payments.nativepay.model.Amount;
import com.wechat.pay.java.service.payments.nativepay.model.CloseOrderRequest;
import com.wechat.pay.java.service.payments.nativepay.model.PrepayRequest;
import com.wechat.pay.java.service.payments.nativepay.model.PrepayResponse;
import com.wechat.pay.java.service.payments.nativepay.model.QueryOrderByOutTradeNoRequest;
import com.wechat.pay.java.service.refund.RefundService;
import com.wechat.pay.java.service.refund.model.AmountReq;
import com.wechat.pay.java.service.refund.model.CreateRequest;
import com.wechat.pay.java.service.refund.model.QueryByOutRefundNoRequest;
import com.wechat.pay.java.service.refund.model.Refund;
import com.wechat.pay.java.service.refund.model.Status;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.ConfigurableApplicationContext;

import io.tally.channel.PemKeys;
import io.tally.channel.Signatures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The simulator as WeChat Pay API v3, with WeChat Pay's official SDK ({@code wechatpay-java}, public-key mode) as
 * the only client of its API: the SDK's requests are rewritten from {@code https://api.mch.weixin.qq.com} to the
 * simulator (scheme, host and port; the path, which the SDK signs, stays), and the SDK verifies every answer and
 * notification with "WeChat Pay's" public key (the test channel key) under its key id. A merchant on loopback
 * receives the notifications and reads them with the SDK's {@link NotificationParser}. The user's pay action, the
 * ledger and the faults are the simulator's own {@code /gateway/...} endpoints.
 */
class WechatProtocolTests {

    private static final String MCHID = "1900000001";

    private static final String APPID = "wx0000000000000001";

    private static final String SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";

    private static final String PUBLIC_KEY_ID = "PUB_KEY_ID_0119000000012026120600000000000001";

    /** The merchant's API v3 key: 32 characters, a secret of this run only. */
    private static final String API_V3_KEY = UUID.randomUUID().toString().replace("-", "");

    private static final Path KEYS = Path.of("../config/test-keys");

    private static final ZoneId BEIJING = ZoneId.of("Asia/Shanghai");

    private static final DateTimeFormatter RFC_3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");

    /** The trade bill's header, as WeChat Pay's documentation gives it. */
    private static final String BILL_HEADER = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
            + "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
            + "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";

    private static final JsonMapper json = JsonMapper.builder().build();

    private static final HttpClient http = HttpClient.newHttpClient();

    /** Every notification the merchant received, with the trade it named (when the SDK could read it). */
    private static final List<Received> received = new CopyOnWriteArrayList<>();

    /** The trades whose next notification the merchant answers 500 to (once each). */
    private static final Set<String> failOnce = ConcurrentHashMap.newKeySet();

    @TempDir
    static Path keyDir;

    private static HttpServer merchantServer;

    private static ConfigurableApplicationContext gateway;

    private static int port;

    private static PrivateKey merchantKey;

    private static PublicKey wechatKey;

    private static RSAPublicKeyConfig config;

    private static NativePayService nativePay;

    private static RefundService refunds;

    private static BillDownloadServiceExtension bills;

    private static NotificationParser parser;

    /** A notification as the merchant received it. */
    record Received(@Nullable String outTradeNo, Map<String, String> headers, String body) {

        /** What the SDK verifies: the {@code Wechatpay-*} headers and the body. */
        RequestParam param() {
            return param(this.headers, this.body);
        }

        static RequestParam param(Map<String, String> headers, String body) {
            return new RequestParam.Builder().serialNumber(headers.get("Wechatpay-Serial"))
                .signature(headers.get("Wechatpay-Signature"))
                .timestamp(headers.get("Wechatpay-Timestamp"))
                .nonce(headers.get("Wechatpay-Nonce"))
                .signType(headers.get("Wechatpay-Signature-Type"))
                .body(body)
                .build();
        }
    }

    @BeforeAll
    static void start() throws Exception {
        merchantKey = PemKeys.privateKey(Files.readString(KEYS.resolve("merchant-private.pem")));
        wechatKey = PemKeys.publicKey(Files.readString(KEYS.resolve("channel-public.pem")));
        config = config(merchantKey, wechatKey, PUBLIC_KEY_ID);
        parser = new NotificationParser(config);
        merchantServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        merchantServer.createContext("/wechat/notify", exchange -> {
            try {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                Map<String, String> headers = new HashMap<>();
                for (String name : List.of("Wechatpay-Serial", "Wechatpay-Signature", "Wechatpay-Timestamp",
                        "Wechatpay-Nonce", "Wechatpay-Signature-Type", "Content-Type")) {
                    String value = exchange.getRequestHeaders().getFirst(name);
                    if (value != null) {
                        headers.put(name, value);
                    }
                }
                String outTradeNo;
                try {
                    outTradeNo = parser.parse(Received.param(headers, body), Transaction.class).getOutTradeNo();
                }
                catch (RuntimeException unreadable) {
                    outTradeNo = null;
                }
                received.add(new Received(outTradeNo, headers, body));
                if (outTradeNo == null || failOnce.remove(outTradeNo)) {
                    byte[] answer = "{\"code\":\"FAIL\",\"message\":\"失败\"}".getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", "application/json");
                    exchange.sendResponseHeaders(500, answer.length);
                    exchange.getResponseBody().write(answer);
                }
                else {
                    exchange.sendResponseHeaders(204, -1);
                }
            }
            finally {
                exchange.close();
            }
        });
        merchantServer.start();
        gateway = GatewayApplication.application().run(arguments(false));
        port = port(gateway);
        com.wechat.pay.java.core.http.HttpClient client = client(config, port);
        nativePay = new NativePayService.Builder().httpClient(client).build();
        refunds = new RefundService.Builder().httpClient(client).build();
        bills = new BillDownloadServiceExtension.Builder().httpClient(client).decryptor(config.createDecryptor()).build();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        merchantServer.stop(0);
    }

    @AfterEach
    void clearFaults() throws Exception {
        send(port, "DELETE", "/gateway/faults", null);
        failOnce.clear();
    }

    @Test
    void aNativePaymentIsNotifiedQueriedRefundedAndClosedThroughTheOfficialSdk() throws Exception {
        String outTradeNo = outTradeNo();
        Instant expireAt = Instant.now().plus(Duration.ofMinutes(10));
        PrepayResponse prepay = nativePay.prepay(prepay(outTradeNo, 990, expireAt));
        assertThat(prepay.getCodeUrl()).startsWith("weixin://wxpay/bizpayurl?pr=");
        assertThat(nativePay.prepay(prepay(outTradeNo, 990, expireAt)).getCodeUrl())
            .as("the same order again, the same code").isEqualTo(prepay.getCodeUrl());
        Transaction unpaid = nativePay.queryOrderByOutTradeNo(query(outTradeNo));
        assertThat(unpaid.getTradeState()).isEqualTo(Transaction.TradeStateEnum.NOTPAY);
        assertThat(unpaid.getTransactionId()).isNull();
        assertThat(unpaid.getAmount().getTotal()).isEqualTo(990);
        assertThat(unpaid.getMchid()).isEqualTo(MCHID);

        // the merchant fails the first notification: it comes again, re-signed, under the same id
        failOnce.add(outTradeNo);
        assertThat(send(port, "POST", "/gateway/trades/" + outTradeNo + "/pay", "{}").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> notificationsOf(outTradeNo).size() == 2);
        // the second was answered 204: no third
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
            .until(() -> notificationsOf(outTradeNo).size() == 2);
        assertThat(ledger(port, outTradeNo).get("callbacksSent").asInt()).isEqualTo(2);
        List<Received> sends = notificationsOf(outTradeNo);
        Transaction paid = parser.parse(sends.get(0).param(), Transaction.class);
        assertThat(paid.getMchid()).isEqualTo(MCHID);
        assertThat(paid.getAppid()).isEqualTo(APPID);
        assertThat(paid.getTradeState()).isEqualTo(Transaction.TradeStateEnum.SUCCESS);
        assertThat(paid.getTradeType()).isEqualTo(Transaction.TradeTypeEnum.NATIVE);
        assertThat(paid.getTransactionId()).startsWith("4200000").hasSize(28)
            .isEqualTo(ledger(port, outTradeNo).get("tradeNo").asString());
        assertThat(paid.getAmount().getTotal()).isEqualTo(990);
        assertThat(paid.getAmount().getPayerTotal()).isEqualTo(990);
        assertThat(paid.getAmount().getCurrency()).isEqualTo("CNY");
        assertThat(paid.getPayer().getOpenid()).isNotBlank();
        assertThat(OffsetDateTime.parse(paid.getSuccessTime()).getOffset()).isEqualTo(ZoneOffset.ofHours(8));
        JsonNode first = json.readTree(sends.get(0).body());
        JsonNode second = json.readTree(sends.get(1).body());
        assertThat(second.get("id")).isEqualTo(first.get("id"));
        assertThat(first.get("event_type").asString()).isEqualTo("TRANSACTION.SUCCESS");
        assertThat(first.get("resource_type").asString()).isEqualTo("encrypt-resource");
        assertThat(first.path("resource").path("algorithm").asString()).isEqualTo("AEAD_AES_256_GCM");
        assertThat(first.path("resource").path("associated_data").asString()).isEqualTo("transaction");
        assertThat(sends).extracting(send -> send.headers().get("Wechatpay-Nonce")).doesNotHaveDuplicates();
        assertThat(sends).extracting(send -> send.headers().get("Wechatpay-Serial")).containsOnly(PUBLIC_KEY_ID);
        assertThat(parser.parse(sends.get(1).param(), Transaction.class).getTransactionId())
            .isEqualTo(paid.getTransactionId());

        Transaction queried = nativePay.queryOrderByOutTradeNo(query(outTradeNo));
        assertThat(queried.getTradeState()).isEqualTo(Transaction.TradeStateEnum.SUCCESS);
        assertThat(queried.getTransactionId()).isEqualTo(paid.getTransactionId());
        assertThat(queried.getSuccessTime()).isEqualTo(paid.getSuccessTime());

        String outRefundNo = outTradeNo + "-R1";
        Refund refund = refunds.create(refund(outTradeNo, outRefundNo, 300, 990));
        assertThat(refund.getStatus()).isEqualTo(Status.SUCCESS);
        assertThat(refund.getAmount().getRefund()).isEqualTo(300L);
        assertThat(refund.getAmount().getTotal()).isEqualTo(990L);
        assertThat(refund.getTransactionId()).isEqualTo(paid.getTransactionId());
        assertThat(refund.getSuccessTime()).isNotNull();
        Refund again = refunds.create(refund(outTradeNo, outRefundNo, 300, 990));
        assertThat(again.getRefundId()).as("the same refund number, the same refund").isEqualTo(refund.getRefundId());
        assertThat(ledger(port, outTradeNo).get("refunded").asLong()).isEqualTo(300);
        assertThat(ledger(port, outTradeNo).get("refunds")).hasSize(1);
        Refund found = refunds.queryByOutRefundNo(refundQuery(outRefundNo));
        assertThat(found.getRefundId()).isEqualTo(refund.getRefundId());
        assertThat(found.getStatus()).isEqualTo(Status.SUCCESS);
        assertThat(found.getOutTradeNo()).isEqualTo(outTradeNo);
        assertThat(nativePay.queryOrderByOutTradeNo(query(outTradeNo)).getTradeState())
            .isEqualTo(Transaction.TradeStateEnum.REFUND);

        ServiceException paidClose = refused(() -> nativePay.closeOrder(close(outTradeNo)));
        assertThat(paidClose.getHttpStatusCode()).isEqualTo(400);
        assertThat(paidClose.getErrorCode()).isEqualTo("ORDERPAID");
        assertThat(ledger(port, outTradeNo).get("status").asString()).isEqualTo("SUCCESS");

        String unpaidTrade = outTradeNo();
        nativePay.prepay(prepay(unpaidTrade, 100, expireAt));
        nativePay.closeOrder(close(unpaidTrade));
        assertThat(nativePay.queryOrderByOutTradeNo(query(unpaidTrade)).getTradeState())
            .isEqualTo(Transaction.TradeStateEnum.CLOSED);
        assertThat(ledger(port, unpaidTrade).get("status").asString()).isEqualTo("CLOSED");

        ServiceException unknown = refused(() -> nativePay.queryOrderByOutTradeNo(query("W-no-such-trade")));
        assertThat(unknown.getHttpStatusCode()).isEqualTo(404);
        assertThat(unknown.getErrorCode()).isEqualTo("ORDER_NOT_EXIST");
        ServiceException unknownRefund = refused(() -> refunds.queryByOutRefundNo(refundQuery("W-no-such-refund")));
        assertThat(unknownRefund.getHttpStatusCode()).isEqualTo(404);
        assertThat(unknownRefund.getErrorCode()).isEqualTo("RESOURCE_NOT_EXISTS");
    }

    @Test
    void theTradeBillListsTheDaysPaymentsAndRefundsAndAddsUpToItsSummary() throws Exception {
        String outTradeNo = outTradeNo();
        nativePay.prepay(prepay(outTradeNo, 990, Instant.now().plus(Duration.ofMinutes(10))));
        assertThat(send(port, "POST", "/gateway/trades/" + outTradeNo + "/pay", "{}").statusCode()).isEqualTo(200);
        Transaction paid = nativePay.queryOrderByOutTradeNo(query(outTradeNo));
        String outRefundNo = outTradeNo + "-R1";
        Refund refund = refunds.create(refund(outTradeNo, outRefundNo, 300, 990));
        // the simulator cuts its days at midnight in Beijing (gateway.statement-zone), as WeChat Pay does
        LocalDate paidDay = OffsetDateTime.parse(paid.getSuccessTime()).toLocalDate();
        LocalDate refundDay = OffsetDateTime.parse(refund.getCreateTime()).toLocalDate();

        List<String[]> paymentDay = detailRows(bill(paidDay, null), paidDay);
        String[] payment = paymentDay.stream()
            .filter(row -> row[6].equals(outTradeNo) && row[9].equals("SUCCESS"))
            .findFirst()
            .orElseThrow();
        assertThat(payment[1]).isEqualTo(APPID);
        assertThat(payment[2]).isEqualTo(MCHID);
        assertThat(payment[5]).isEqualTo(paid.getTransactionId());
        assertThat(payment[8]).isEqualTo("NATIVE");
        assertThat(payment[11]).isEqualTo("CNY");
        assertThat(payment[12]).as("应结订单金额").isEqualTo("9.90");
        assertThat(payment[24]).as("订单金额").isEqualTo("9.90");
        assertThat(payment[0]).as("交易时间, Beijing time")
            .isEqualTo(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").format(OffsetDateTime.parse(paid.getSuccessTime())));

        List<String[]> refundRows = refundDay.equals(paidDay) ? paymentDay : detailRows(bill(refundDay, null), refundDay);
        String[] refunded = refundRows.stream()
            .filter(row -> row[6].equals(outTradeNo) && row[9].equals("REFUND"))
            .findFirst()
            .orElseThrow();
        assertThat(refunded[5]).isEqualTo(paid.getTransactionId());
        assertThat(refunded[14]).as("微信退款单号").isEqualTo(refund.getRefundId());
        assertThat(refunded[15]).as("商户退款单号").isEqualTo(outRefundNo);
        assertThat(refunded[16]).as("退款金额").isEqualTo("3.00");
        assertThat(refunded[25]).as("申请退款金额").isEqualTo("3.00");
        assertThat(refunded[18]).isEqualTo("ORIGINAL");
        assertThat(refunded[19]).isEqualTo("SUCCESS");
        assertThat(refunded[12]).as("a refund settles no order amount").isEqualTo("0.00");

        assertThat(bill(paidDay, TarType.GZIP)).as("compressed, the same bill").isEqualTo(bill(paidDay, null));
        ServiceException none = refused(() -> bills.getTradeBill(billRequest(LocalDate.of(2001, 1, 1), null)));
        assertThat(none.getHttpStatusCode()).isEqualTo(400);
        assertThat(none.getErrorCode()).isEqualTo("NO_STATEMENT_EXIST");
    }

    @Test
    void aRequestSignedWithAnotherKeyIsRefusedAndAnAnswerSignedWithAnotherKeyIsRejected() throws Exception {
        String outTradeNo = outTradeNo();
        nativePay.prepay(prepay(outTradeNo, 100, Instant.now().plus(Duration.ofMinutes(10))));
        KeyPair other = PemKeys.generate();

        NativePayService forger = new NativePayService.Builder()
            .httpClient(client(config(other.getPrivate(), wechatKey, PUBLIC_KEY_ID), port))
            .build();
        ServiceException forged = refused(() -> forger.queryOrderByOutTradeNo(query(outTradeNo)));
        assertThat(forged.getHttpStatusCode()).isEqualTo(401);
        assertThat(forged.getErrorCode()).isEqualTo("SIGN_ERROR");
        RSAPublicKeyConfig otherSerial = new RSAPublicKeyConfig.Builder().merchantId(MCHID)
            .privateKey(merchantKey)
            .merchantSerialNumber("0000000000000000000000000000000000000001")
            .publicKey(wechatKey)
            .publicKeyId(PUBLIC_KEY_ID)
            .apiV3Key(API_V3_KEY)
            .build();
        ServiceException wrongSerial = refused(() -> new NativePayService.Builder().httpClient(client(otherSerial, port))
            .build()
            .queryOrderByOutTradeNo(query(outTradeNo)));
        assertThat(wrongSerial.getErrorCode()).isEqualTo("SIGN_ERROR");

        NativePayService gullible = new NativePayService.Builder()
            .httpClient(client(config(merchantKey, other.getPublic(), PUBLIC_KEY_ID), port))
            .build();
        assertThat(catchThrowable(() -> gullible.queryOrderByOutTradeNo(query(outTradeNo))))
            .as("an answer that does not verify with the configured key").isInstanceOf(ValidationException.class);
        NativePayService otherKeyId = new NativePayService.Builder()
            .httpClient(client(config(merchantKey, wechatKey, "PUB_KEY_ID_0000000000000000000000000000000099"), port))
            .build();
        assertThat(catchThrowable(() -> otherKeyId.queryOrderByOutTradeNo(query(outTradeNo))))
            .as("an answer signed under another key id").isInstanceOf(ValidationException.class);

        // refusals are signed too, as WeChat Pay signs every answer
        HttpResponse<String> unsigned = send(port, "GET",
                "/v3/pay/transactions/out-trade-no/" + outTradeNo + "?mchid=" + MCHID, null);
        assertThat(unsigned.statusCode()).isEqualTo(401);
        assertThat(json.readTree(unsigned.body()).get("code").asString()).isEqualTo("SIGN_ERROR");
        String timestamp = unsigned.headers().firstValue("Wechatpay-Timestamp").orElseThrow();
        String nonce = unsigned.headers().firstValue("Wechatpay-Nonce").orElseThrow();
        assertThat(unsigned.headers().firstValue("Wechatpay-Serial")).contains(PUBLIC_KEY_ID);
        assertThat(unsigned.headers().firstValue("Request-ID")).isPresent();
        assertThat(Signatures.verify(Signatures.callbackText(timestamp, nonce, unsigned.body()),
                unsigned.headers().firstValue("Wechatpay-Signature").orElseThrow(), wechatKey)).isTrue();
    }

    @Test
    void faultsAreAnsweredAsWechatPayAnswersThem() throws Exception {
        String outTradeNo = outTradeNo();
        nativePay.prepay(prepay(outTradeNo, 500, Instant.now().plus(Duration.ofMinutes(10))));
        faults("{\"failQueries\":1,\"tamperCallbacks\":1}");
        ServiceException failed = refused(() -> nativePay.queryOrderByOutTradeNo(query(outTradeNo)));
        assertThat(failed.getHttpStatusCode()).isEqualTo(500);
        assertThat(failed.getErrorCode()).isEqualTo("SYSTEM_ERROR");
        assertThat(nativePay.queryOrderByOutTradeNo(query(outTradeNo)).getTradeState())
            .isEqualTo(Transaction.TradeStateEnum.NOTPAY);

        assertThat(send(port, "POST", "/gateway/trades/" + outTradeNo + "/pay", "{}").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> notificationsOf(outTradeNo).size() == 1);
        Transaction tampered = parser.parse(notificationsOf(outTradeNo).get(0).param(), Transaction.class);
        assertThat(tampered.getAmount().getTotal()).as("signed, but not what was paid").isEqualTo(501);

        faults("{\"refuseRefunds\":1}");
        ServiceException refusal = refused(() -> refunds.create(refund(outTradeNo, outTradeNo + "-R1", 500, 500)));
        assertThat(refusal.getHttpStatusCode()).isEqualTo(400);
        assertThat(refusal.getErrorCode()).isEqualTo("INVALID_REQUEST");
        assertThat(ledger(port, outTradeNo).get("refunded").asLong()).isZero();
        assertThat(refunds.create(refund(outTradeNo, outTradeNo + "-R1", 500, 500)).getStatus())
            .as("the same refund again, once the channel accepts it").isEqualTo(Status.SUCCESS);
    }

    @Test
    void aRefundProcessedAsynchronouslyAnswersProcessingFirstThenSuccess() throws Exception {
        try (ConfigurableApplicationContext asynchronous = GatewayApplication.application().run(arguments(true))) {
            int asyncPort = port(asynchronous);
            com.wechat.pay.java.core.http.HttpClient client = client(config, asyncPort);
            NativePayService asyncPay = new NativePayService.Builder().httpClient(client).build();
            RefundService asyncRefunds = new RefundService.Builder().httpClient(client).build();
            String outTradeNo = outTradeNo();
            asyncPay.prepay(prepay(outTradeNo, 800, Instant.now().plus(Duration.ofMinutes(10))));
            assertThat(send(asyncPort, "POST", "/gateway/trades/" + outTradeNo + "/pay", "{}").statusCode()).isEqualTo(200);
            String outRefundNo = outTradeNo + "-R1";

            Refund accepted = asyncRefunds.create(refund(outTradeNo, outRefundNo, 800, 800));
            assertThat(accepted.getStatus()).isEqualTo(Status.PROCESSING);
            assertThat(accepted.getSuccessTime()).isNull();
            Refund done = asyncRefunds.queryByOutRefundNo(refundQuery(outRefundNo));
            assertThat(done.getStatus()).isEqualTo(Status.SUCCESS);
            assertThat(done.getRefundId()).isEqualTo(accepted.getRefundId());
            assertThat(done.getSuccessTime()).isNotNull();
            assertThat(asyncRefunds.create(refund(outTradeNo, outRefundNo, 800, 800)).getStatus()).isEqualTo(Status.SUCCESS);
            assertThat(ledger(asyncPort, outTradeNo).get("refunded").asLong()).isEqualTo(800);
            assertThat(ledger(asyncPort, outTradeNo).get("refunds")).hasSize(1);
        }
    }

    /** The simulator's arguments: one WeChat Pay merchant (the test keys), WeChat Pay's key the channel's. */
    private static String[] arguments(boolean refundsProcessing) {
        return new String[] { "--server.port=0", "--gateway.key-dir=" + keyDir,
            "--gateway.private-key-location=file:" + KEYS.resolve("channel-private.pem"),
            "--gateway.statement-zone=Asia/Shanghai",
            "--gateway.wechat.public-key-id=" + PUBLIC_KEY_ID,
            "--gateway.wechat.merchants[0].mchid=" + MCHID,
            "--gateway.wechat.merchants[0].appid=" + APPID,
            "--gateway.wechat.merchants[0].serial-no=" + SERIAL,
            "--gateway.wechat.merchants[0].public-key-location=file:" + KEYS.resolve("merchant-public.pem"),
            "--gateway.wechat.merchants[0].api-v3-key=" + API_V3_KEY,
            "--gateway.wechat.notify-retry-delays=300ms,600ms",
            "--gateway.wechat.refunds-processing=" + refundsProcessing };
    }

    private static int port(ConfigurableApplicationContext context) {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port", "0"));
    }

    private static RSAPublicKeyConfig config(PrivateKey merchant, PublicKey wechat, String publicKeyId) {
        return new RSAPublicKeyConfig.Builder().merchantId(MCHID)
            .privateKey(merchant)
            .merchantSerialNumber(SERIAL)
            .publicKey(wechat)
            .publicKeyId(publicKeyId)
            .apiV3Key(API_V3_KEY)
            .build();
    }

    /**
     * The SDK's HTTP client, its requests for WeChat Pay's host sent to the simulator instead: only scheme, host
     * and port change, so the signed path and query are what the simulator verifies.
     */
    private static com.wechat.pay.java.core.http.HttpClient client(Config config, int simulatorPort) {
        OkHttpClient okhttp = new OkHttpClient.Builder().addInterceptor(chain -> {
            Request request = chain.request();
            HttpUrl url = request.url();
            if (!url.host().equals("api.mch.weixin.qq.com")) {
                return chain.proceed(request);
            }
            HttpUrl simulator = url.newBuilder().scheme("http").host("127.0.0.1").port(simulatorPort).build();
            return chain.proceed(request.newBuilder().url(simulator).build());
        }).build();
        return new DefaultHttpClientBuilder().config(config).okHttpClient(okhttp).build();
    }

    private static String outTradeNo() {
        return "W" + UUID.randomUUID().toString().replace("-", "").substring(0, 20).toUpperCase(Locale.ROOT);
    }

    private static PrepayRequest prepay(String outTradeNo, int total, Instant expireAt) {
        PrepayRequest request = new PrepayRequest();
        request.setAppid(APPID);
        request.setMchid(MCHID);
        request.setDescription("Order " + outTradeNo);
        request.setOutTradeNo(outTradeNo);
        request.setTimeExpire(RFC_3339.format(expireAt.atZone(BEIJING)));
        request.setNotifyUrl("http://127.0.0.1:" + merchantServer.getAddress().getPort() + "/wechat/notify");
        Amount amount = new Amount();
        amount.setTotal(total);
        amount.setCurrency("CNY");
        request.setAmount(amount);
        return request;
    }

    private static QueryOrderByOutTradeNoRequest query(String outTradeNo) {
        QueryOrderByOutTradeNoRequest request = new QueryOrderByOutTradeNoRequest();
        request.setOutTradeNo(outTradeNo);
        request.setMchid(MCHID);
        return request;
    }

    private static CloseOrderRequest close(String outTradeNo) {
        CloseOrderRequest request = new CloseOrderRequest();
        request.setOutTradeNo(outTradeNo);
        request.setMchid(MCHID);
        return request;
    }

    private static CreateRequest refund(String outTradeNo, String outRefundNo, long refund, long total) {
        CreateRequest request = new CreateRequest();
        request.setOutTradeNo(outTradeNo);
        request.setOutRefundNo(outRefundNo);
        request.setReason("order cancelled");
        AmountReq amount = new AmountReq();
        amount.setRefund(refund);
        amount.setTotal(total);
        amount.setCurrency("CNY");
        request.setAmount(amount);
        return request;
    }

    private static QueryByOutRefundNoRequest refundQuery(String outRefundNo) {
        QueryByOutRefundNoRequest request = new QueryByOutRefundNoRequest();
        request.setOutRefundNo(outRefundNo);
        return request;
    }

    private static GetTradeBillRequest billRequest(LocalDate day, @Nullable TarType tarType) {
        GetTradeBillRequest request = new GetTradeBillRequest();
        request.setBillDate(day.toString());
        request.setBillType(BillType.ALL);
        request.setTarType(tarType);
        return request;
    }

    /** The day's trade bill through the SDK, its digest checked, as text. */
    private static String bill(LocalDate day, @Nullable TarType tarType) throws IOException {
        DigestBillEntity bill = bills.getTradeBill(billRequest(day, tarType));
        byte[] content;
        try (InputStream in = bill.getInputStream()) {
            content = in.readAllBytes();
        }
        assertThat(bill.verifyHash()).as("the bill matches the SHA1 WeChat Pay gave").isTrue();
        return new String(content, StandardCharsets.UTF_8);
    }

    /**
     * The bill's detail rows, each value without its backtick, after checking the bill's layout: the header, rows of
     * its 27 columns, then the summary header and a summary the rows add up to.
     */
    private static List<String[]> detailRows(String bill, LocalDate day) {
        assertThat(bill).as("a BOM, then the header").startsWith("\uFEFF" + BILL_HEADER);
        List<String> rows = new ArrayList<>(Arrays.asList(bill.substring(1).split("\\R")));
        rows.removeIf(String::isBlank);
        assertThat(rows.get(rows.size() - 2))
            .isEqualTo("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额");
        List<String[]> details = new ArrayList<>();
        long settled = 0;
        long refunded = 0;
        long ordered = 0;
        long requested = 0;
        for (String row : rows.subList(1, rows.size() - 2)) {
            assertThat(row).startsWith("`");
            String[] cells = row.substring(1).split(",`", -1);
            assertThat(cells).as(row).hasSize(27);
            settled += fen(cells[12]);
            refunded += fen(cells[16]);
            ordered += fen(cells[24]);
            requested += fen(cells[25]);
            details.add(cells);
        }
        String[] summary = rows.get(rows.size() - 1).substring(1).split(",`", -1);
        assertThat(summary).hasSize(7);
        assertThat(summary[0]).as("总交易单数 of " + day).isEqualTo(Integer.toString(details.size()));
        assertThat(fen(summary[1])).as("应结订单总金额").isEqualTo(settled);
        assertThat(fen(summary[2])).as("退款总金额").isEqualTo(refunded);
        assertThat(fen(summary[5])).as("订单总金额").isEqualTo(ordered);
        assertThat(fen(summary[6])).as("申请退款总金额").isEqualTo(requested);
        return details;
    }

    private static long fen(String yuan) {
        return new java.math.BigDecimal(yuan).movePointRight(2).longValueExact();
    }

    /** The notifications the merchant received of this trade, in order. */
    private static List<Received> notificationsOf(String outTradeNo) {
        return received.stream().filter(r -> outTradeNo.equals(r.outTradeNo())).toList();
    }

    private static ServiceException refused(ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        assertThat(thrown).isInstanceOf(ServiceException.class);
        return (ServiceException) thrown;
    }

    private static void faults(String settings) throws Exception {
        assertThat(send(port, "POST", "/gateway/faults", settings).statusCode()).isEqualTo(200);
    }

    private static JsonNode ledger(int simulatorPort, String outTradeNo) throws Exception {
        for (JsonNode entry : json.readTree(send(simulatorPort, "GET", "/gateway/ledger", null).body())) {
            if (entry.get("outTradeNo").asString().equals(outTradeNo)) {
                return entry;
            }
        }
        throw new AssertionError("No ledger entry for " + outTradeNo);
    }

    /** A plain request to the simulator: its own endpoints, or an unsigned one to see it refused. */
    private static HttpResponse<String> send(int simulatorPort, String method, String path, @Nullable String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + simulatorPort + path))
            .header("Content-Type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
