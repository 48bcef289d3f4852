package io.tally.payment.channel.alipay;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import com.alipay.api.AlipayApiException;
import com.alipay.api.AlipayClient;
import com.alipay.api.AlipayConfig;
import com.alipay.api.AlipayRequest;
import com.alipay.api.AlipayResponse;
import com.alipay.api.DefaultAlipayClient;
import com.alipay.api.FileItem;
import com.alipay.api.domain.AlipayDataDataserviceBillDownloadurlQueryModel;
import com.alipay.api.domain.AlipayTradeCloseModel;
import com.alipay.api.domain.AlipayTradeFastpayRefundQueryModel;
import com.alipay.api.domain.AlipayTradePagePayModel;
import com.alipay.api.domain.AlipayTradePrecreateModel;
import com.alipay.api.domain.AlipayTradeQueryModel;
import com.alipay.api.domain.AlipayTradeRefundModel;
import com.alipay.api.internal.util.AbstractHttpClient;
import com.alipay.api.internal.util.AlipaySignature;
import com.alipay.api.internal.util.WebUtils;
import com.alipay.api.request.AlipayDataDataserviceBillDownloadurlQueryRequest;
import com.alipay.api.request.AlipayTradeCloseRequest;
import com.alipay.api.request.AlipayTradeFastpayRefundQueryRequest;
import com.alipay.api.request.AlipayTradePagePayRequest;
import com.alipay.api.request.AlipayTradePrecreateRequest;
import com.alipay.api.request.AlipayTradeQueryRequest;
import com.alipay.api.request.AlipayTradeRefundRequest;
import com.alipay.api.response.AlipayDataDataserviceBillDownloadurlQueryResponse;
import com.alipay.api.response.AlipayTradeCloseResponse;
import com.alipay.api.response.AlipayTradeFastpayRefundQueryResponse;
import com.alipay.api.response.AlipayTradePagePayResponse;
import com.alipay.api.response.AlipayTradePrecreateResponse;
import com.alipay.api.response.AlipayTradeQueryResponse;
import com.alipay.api.response.AlipayTradeRefundResponse;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClientException;

import io.tally.channel.ChannelMessages.CloseOutcome;
import io.tally.channel.ChannelMessages.CloseResult;
import io.tally.channel.ChannelMessages.Notification;
import io.tally.channel.ChannelMessages.Refund;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.channel.ChannelMessages.TradeStatus;
import io.tally.channel.PemKeys;
import io.tally.payment.channel.ExchangeLog;
import io.tally.payment.channel.OpenedTrade;
import io.tally.payment.channel.PaymentChannel;
import io.tally.payment.channel.SimulatorChannel;
import io.tally.payment.channel.Statement;

/**
 * Alipay's open API through its official SDK ({@code alipay-sdk-java}, {@code DefaultAlipayClient}) in public-key
 * mode with RSA2: QR trades (当面付 precreate) or page trades (电脑网站支付), queries, closes, refunds and their
 * queries, the daily trade bill and the payment notifications. The SDK signs every request with our app's key and
 * verifies every answer that carries a signature with Alipay's public key; this class turns what it answers and
 * throws into what {@link PaymentChannel} promises:
 * <ul>
 * <li>an {@link AlipayApiException} caused by an {@link IOException} (Alipay not reached, no answer in time, an HTTP
 * error status) → {@link ResourceAccessException};
 * <li>any other {@link AlipayApiException} (chiefly an answer whose signature does not verify with Alipay's public
 * key) and an answer that cannot be read → {@link HttpServerErrorException} 502: such an answer is never trusted;
 * <li>an answer with a {@code code} other than 10000: 20000 and {@code isp.*} / {@code *SYSTEM_ERROR} (Alipay
 * failed) → {@link HttpServerErrorException} 503; 40004 (a business refusal, {@code ACQ.*}) →
 * {@link HttpClientErrorException} 409; 40001, 40002, 40006 and other refusals of the request itself → 400. Each
 * carries Alipay's {@code sub_code} as its status text and Alipay's answer as its body.
 * </ul>
 * The SDK verifies an error answer only when it is signed; the refusals this class takes a decision from (a trade
 * Alipay does not know is closed, for one) must be signed, or they are not trusted (502).
 * <p>
 * Alipay numbers a trade ({@code trade_no}) only once the buyer has scanned or paid it: an opened trade has no
 * number, and Alipay's query answers {@code ACQ.TRADE_NOT_EXIST} for a precreated trade nobody scanned yet (the
 * query then answers {@code null}: "not known yet", asked again later). Every exchange is recorded in the
 * {@link ExchangeLog} by the HTTP client given to the SDK ({@link Transport}); a page trade's form, built locally,
 * is recorded too.
 */
@Component
@ConditionalOnProperty(prefix = "payment.alipay", name = "enabled", havingValue = "true")
public class AlipayChannel implements PaymentChannel {

    /** The JVM's security property that Alipay's SDK blanks when it loads. */
    static final String CERT_PATH_POLICY = "jdk.certpath.disabledAlgorithms";

    static {
        // AbstractAlipayClient's static initializer sets jdk.certpath.disabledAlgorithms to "" for the whole JVM,
        // which would let every certificate path checked afterwards use MD5 or 1024-bit RSA: load it here, before
        // anything uses it, and put the JDK's policy back at once.
        String policy = java.security.Security.getProperty(CERT_PATH_POLICY);
        try {
            Class.forName("com.alipay.api.AbstractAlipayClient", true, AlipayChannel.class.getClassLoader());
        }
        catch (ClassNotFoundException ex) {
            throw new ExceptionInInitializerError(ex);
        }
        finally {
            if (policy != null) {
                java.security.Security.setProperty(CERT_PATH_POLICY, policy);
            }
        }
    }


    /** This channel's name. */
    public static final String NAME = "alipay";

    /** Alipay's time zone: the times on its wire and in its bills are Beijing wall-clock times. */
    static final ZoneId BEIJING = ZoneId.of("Asia/Shanghai");

    /** Alipay's format of times ({@code time_expire}, bills' times). */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    /** The most a bill's zip may weigh, downloaded. */
    static final int MAX_BILL_BYTES = 32 * 1024 * 1024;

    /** The most a bill's 业务明细 file may weigh, unzipped. */
    static final int MAX_BILL_TEXT_BYTES = 64 * 1024 * 1024;

    /** The longest pay code a payment keeps ({@code payment.pay_code}). */
    static final int MAX_PAY_CODE = 1024;

    /** The expiry of a queried trade: Alipay's query does not answer it, and nothing here reads it back. */
    private static final Instant EXPIRY_NOT_ANSWERED = Instant.EPOCH;

    private static final String SUCCESS_CODE = "10000";

    private static final String TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST";

    private static final String TRADE_STATUS_ERROR = "ACQ.TRADE_STATUS_ERROR";

    private static final String BILL_NOT_EXIST = "isp.bill_not_exist";

    /** Precreate refusals that say the trade exists already, paid or closed since its opening. */
    private static final Set<String> TRADE_EXISTS = Set.of("ACQ.TRADE_HAS_SUCCESS", "ACQ.TRADE_HAS_CLOSE",
            "ACQ.TRADE_HAS_FINISHED");

    private static final Charset GBK = Charset.forName("GBK");

    private static final DateTimeFormatter CN_DAY = DateTimeFormatter.ofPattern("yyyy年MM月dd日");

    private static final Pattern YUAN = Pattern.compile("-?\\d{1,15}(\\.\\d{1,2})?");

    private static final Pattern ACCOUNT = Pattern.compile("#账号：\\[(\\d+)\\]");

    private static final Pattern PERIOD = Pattern
        .compile("#起始日期：\\[(\\d{4}年\\d{2}月\\d{2}日) 00:00:00\\]\\s*终止日期：\\[(\\d{4}年\\d{2}月\\d{2}日) 00:00:00\\]");

    private static final Pattern TRADE_TOTAL = Pattern.compile("#交易合计：(\\d{1,9})笔(?:，商家实收共(-?\\d+(?:\\.\\d{1,2})?)元(?:，.*)?)?");

    private static final Pattern REFUND_TOTAL = Pattern
        .compile("#退款合计：(\\d{1,9})笔(?:，商家实收退款共(-?\\d+(?:\\.\\d{1,2})?)元(?:，.*)?)?");

    private final String appId;

    private final String sellerId;

    private final String notifyUrl;

    private final AlipayProperties.Product product;

    private final Duration timeout;

    /** Alipay's public key, as the SDK takes it: the base64 of its X.509 encoding. */
    private final String alipayPublicKey;

    private final AlipayClient client;

    private final HttpClient http;

    private final ExchangeLog exchangeLog;

    private final JsonMapper json;

    private final Clock clock;

    /** How long after a trade's expiry Alipay's not knowing it means it is closed (clocks differ). */
    private final java.time.Duration expiryMargin;

    AlipayChannel(AlipayProperties properties, ExchangeLog exchangeLog, JsonMapper json, Clock clock) {
        this.appId = required(properties.appId(), "payment.alipay.app-id");
        this.sellerId = required(properties.sellerId(), "payment.alipay.seller-id");
        this.notifyUrl = properties.notifyUrl();
        this.product = properties.product();
        this.timeout = properties.timeout();
        this.expiryMargin = properties.expiryMargin();
        this.exchangeLog = exchangeLog;
        this.json = json;
        this.clock = clock;
        PrivateKey appKey = PemKeys.privateKey(
                SimulatorChannel.read(properties.appPrivateKey(), "payment.alipay.app-private-key"));
        PublicKey alipayKey = PemKeys.publicKey(
                SimulatorChannel.read(properties.alipayPublicKey(), "payment.alipay.alipay-public-key"));
        this.alipayPublicKey = Base64.getEncoder().encodeToString(alipayKey.getEncoded());
        this.http = HttpClient.newBuilder()
            .connectTimeout(this.timeout)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
        int timeoutMs = Math.toIntExact(this.timeout.toMillis());
        AlipayConfig config = new AlipayConfig();
        config.setServerUrl(properties.serverUrl().toString());
        config.setAppId(this.appId);
        config.setPrivateKey(Base64.getEncoder().encodeToString(appKey.getEncoded()));
        config.setAlipayPublicKey(this.alipayPublicKey);
        config.setFormat("json");
        config.setCharset("UTF-8");
        config.setSignType("RSA2");
        config.setConnectTimeout(timeoutMs);
        config.setReadTimeout(timeoutMs);
        config.setCustomizedHttpClient(new Transport(this.http, this.timeout, exchangeLog, json, clock));
        try {
            this.client = new DefaultAlipayClient(config);
        }
        catch (AlipayApiException ex) {
            throw new IllegalStateException("Alipay's SDK refused its configuration: " + ex.getMessage(), ex);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Our app id, which Alipay's notifications must name. */
    @Override
    public String merchantId() {
        return this.appId;
    }

    /**
     * Opens the trade, payable until {@code expireAt} ({@code time_expire}, Beijing time). Alipay's domestic trades
     * are in CNY: another currency is refused here (400).
     * <p>
     * {@code QR}: {@code alipay.trade.precreate}; the pay code is the QR code's content, the same when the same trade
     * is precreated again. A trade paid or closed since its opening (the opening answered, but the answer lost)
     * answers {@code ACQ.TRADE_HAS_SUCCESS} / {@code ACQ.TRADE_HAS_CLOSE}: it is there, so it is answered as opened,
     * with an empty pay code and, when paid, the trade number a query finds.
     * <p>
     * {@code PAGE}: {@code alipay.trade.page.pay} is not a call: the SDK signs the request locally
     * ({@code pageExecute}), and the pay code is the signed GET address of Alipay's cashier. Alipay learns of the trade
     * only when the buyer opens that address; until then its query and close answer {@code ACQ.TRADE_NOT_EXIST}
     * (the query {@code null}, the close closed), and the address stays payable until {@code expireAt}, when Alipay
     * refuses it.
     */
    @Override
    public OpenedTrade createTrade(String outTradeNo, long amount, String currency, Instant expireAt, String subject) {
        requireCny(currency);
        String totalAmount = yuan(amount);
        String timeExpire = TIME.format(expireAt.atZone(BEIJING));
        String title = cut(subject, 256);
        if (this.product == AlipayProperties.Product.PAGE) {
            return pageTrade(outTradeNo, totalAmount, timeExpire, title);
        }
        AlipayTradePrecreateModel model = new AlipayTradePrecreateModel();
        model.setOutTradeNo(outTradeNo);
        model.setTotalAmount(totalAmount);
        model.setSubject(title);
        model.setTimeExpire(timeExpire);
        AlipayTradePrecreateRequest request = new AlipayTradePrecreateRequest();
        request.setBizModel(model);
        request.setNotifyUrl(this.notifyUrl);
        String what = "the trade's opening";
        AlipayTradePrecreateResponse response = execute(what, request);
        if (succeeded(response)) {
            if (blank(response.getQrCode())) {
                throw malformed(what, "no qr_code");
            }
            return new OpenedTrade(null, response.getQrCode());
        }
        if ("ACQ.CONTEXT_INCONSISTENT".equals(response.getSubCode()) && signed(response)) {
            // the trade exists, opened with other parameters (another instance's notify_url, say): never a refusal,
            // which would withdraw a payment whose trade exists
            throw new HttpServerErrorException(HttpStatus.SERVICE_UNAVAILABLE, "Alipay has trade " + outTradeNo
                    + " opened with other parameters (" + response.getSubMsg() + ")");
        }
        if (response.getSubCode() != null && TRADE_EXISTS.contains(response.getSubCode())) {
            Trade trade;
            try {
                trade = query(outTradeNo);
            }
            catch (HttpClientErrorException queryRefused) {
                throw new HttpServerErrorException(HttpStatus.SERVICE_UNAVAILABLE, "Alipay says trade " + outTradeNo
                        + " exists (" + response.getSubCode() + ") and refused its query: " + queryRefused.getMessage());
            }
            if (trade != null) {
                return new OpenedTrade(trade.status() == TradeStatus.SUCCESS ? trade.tradeNo() : null, "");
            }
            // Alipay says the trade exists and its query does not find it: never a refusal (which would withdraw a
            // payment whose trade exists), asked again later
            throw new HttpServerErrorException(HttpStatus.SERVICE_UNAVAILABLE, "Alipay says trade " + outTradeNo
                    + " exists (" + response.getSubCode() + ") and its query does not find it");
        }
        throw refused(what, response);
    }

    /** A page trade: the cashier's signed GET address, built by the SDK without calling Alipay (recorded all the same). */
    private OpenedTrade pageTrade(String outTradeNo, String totalAmount, String timeExpire, String subject) {
        AlipayTradePagePayModel model = new AlipayTradePagePayModel();
        model.setOutTradeNo(outTradeNo);
        model.setTotalAmount(totalAmount);
        model.setSubject(subject);
        model.setProductCode("FAST_INSTANT_TRADE_PAY");
        model.setTimeExpire(timeExpire);
        AlipayTradePagePayRequest request = new AlipayTradePagePayRequest();
        request.setBizModel(model);
        request.setNotifyUrl(this.notifyUrl);
        Instant started = this.clock.instant();
        AlipayTradePagePayResponse response;
        try {
            response = this.client.pageExecute(request, "GET");
        }
        catch (AlipayApiException ex) {
            throw new HttpServerErrorException(HttpStatus.INTERNAL_SERVER_ERROR, "Alipay's SDK could not sign the page "
                    + "trade " + outTradeNo + ": " + ex.getMessage());
        }
        String address = response.getBody();
        if (blank(address)) {
            throw new HttpServerErrorException(HttpStatus.INTERNAL_SERVER_ERROR,
                    "Alipay's SDK built no address for the page trade " + outTradeNo);
        }
        if (address.length() > MAX_PAY_CODE) {
            // no trade exists at Alipay (the buyer opens it): refused, so the payment is withdrawn
            throw new HttpClientErrorException(HttpStatus.BAD_REQUEST, "The page trade " + outTradeNo + "'s address is "
                    + address.length() + " characters long, more than the " + MAX_PAY_CODE
                    + " a payment keeps (a shorter subject, or QR)");
        }
        this.exchangeLog.record(new ExchangeLog.Entry(ExchangeLog.Direction.OUTBOUND, "GET",
                "alipay.trade.page.pay (signed here, opened by the buyer)", Map.of(), address, null, null, 0, null,
                started, outTradeNo, null));
        return new OpenedTrade(null, address);
    }

    /**
     * The trade as Alipay knows it ({@code ACQ.TRADE_NOT_EXIST}: none, or a precreated one not scanned yet).
     * {@code WAIT_BUYER_PAY} waits; {@code TRADE_SUCCESS} and {@code TRADE_FINISHED} (no longer refundable) are
     * paid, the whole amount captured. {@code TRADE_CLOSED} is either a trade closed unpaid, or, as Alipay closes a
     * trade once it is refunded in full, a paid one: with a payment date ({@code send_pay_date}) and a buyer's
     * payment it is answered paid, captured and refunded in full (not closed: its money was taken). Alipay's query
     * does not tell partial refunds: {@code refunded} is 0 for a trade not closed.
     */
    @Override
    public @Nullable Trade query(String outTradeNo) {
        AlipayTradeQueryModel model = new AlipayTradeQueryModel();
        model.setOutTradeNo(outTradeNo);
        AlipayTradeQueryRequest request = new AlipayTradeQueryRequest();
        request.setBizModel(model);
        String what = "the trade's query";
        AlipayTradeQueryResponse response = execute(what, request);
        if (!succeeded(response)) {
            if (TRADE_NOT_EXIST.equals(response.getSubCode())) {
                requireSigned(what, response);
                return null;
            }
            throw refused(what, response);
        }
        if (response.getOutTradeNo() != null && !outTradeNo.equals(response.getOutTradeNo())) {
            throw malformed(what, "trade " + response.getOutTradeNo() + " was answered for " + outTradeNo);
        }
        String tradeNo = response.getTradeNo();
        if (blank(tradeNo)) {
            throw malformed(what, "no trade_no");
        }
        long total = fenOf(response.getTotalAmount(), what, "total_amount");
        String currency = blank(response.getTransCurrency()) ? "CNY" : response.getTransCurrency();
        Instant paidAt = instant(response.getSendPayDate());
        String status = response.getTradeStatus();
        if (status == null) {
            throw malformed(what, "no trade_status");
        }
        return switch (status) {
            case "WAIT_BUYER_PAY" -> new Trade(outTradeNo, tradeNo, total, currency, TradeStatus.WAIT_PAY,
                    EXPIRY_NOT_ANSWERED, 0, 0, null);
            case "TRADE_SUCCESS", "TRADE_FINISHED" -> new Trade(outTradeNo, tradeNo, total, currency,
                    TradeStatus.SUCCESS, EXPIRY_NOT_ANSWERED, total, 0, paidAt);
            case "TRADE_CLOSED" -> {
                boolean buyerPaid = blank(response.getBuyerPayAmount())
                        || fenOf(response.getBuyerPayAmount(), what, "buyer_pay_amount") > 0;
                yield paidAt != null && buyerPaid
                        ? new Trade(outTradeNo, tradeNo, total, currency, TradeStatus.SUCCESS, EXPIRY_NOT_ANSWERED, total,
                                total, paidAt)
                        : new Trade(outTradeNo, tradeNo, total, currency, TradeStatus.CLOSED, EXPIRY_NOT_ANSWERED, 0, 0,
                                null);
            }
            default -> throw malformed(what, "unknown trade_status " + status);
        };
    }

    /**
     * Closes the trade. Alipay closes only a trade waiting for its buyer: {@code ACQ.TRADE_STATUS_ERROR} says it is
     * paid or closed already, which a query tells apart (paid: {@code ALREADY_PAID}). {@code ACQ.TRADE_NOT_EXIST}:
     * Alipay does not know the trade, which is so for a QR code or page nobody opened yet, and that stays payable
     * until its {@code time_expire}: so it is closed only once {@code expireAt} (and a minute for clocks) has passed;
     * before, the close fails (503) and is tried again on its backoff.
     */
    @Override
    public CloseResult close(String outTradeNo, Instant expireAt) {
        AlipayTradeCloseModel model = new AlipayTradeCloseModel();
        model.setOutTradeNo(outTradeNo);
        AlipayTradeCloseRequest request = new AlipayTradeCloseRequest();
        request.setBizModel(model);
        String what = "the trade's close";
        AlipayTradeCloseResponse response = execute(what, request);
        if (succeeded(response)) {
            return new CloseResult(outTradeNo, CloseOutcome.CLOSED);
        }
        if (TRADE_NOT_EXIST.equals(response.getSubCode())) {
            requireSigned(what, response);
            if (this.clock.instant().isBefore(expireAt.plus(this.expiryMargin))) {
                throw new HttpServerErrorException(HttpStatus.SERVICE_UNAVAILABLE, "Alipay does not know trade "
                        + outTradeNo + " yet (no buyer opened it), and it stays payable until " + expireAt
                        + ": it cannot be closed before");
            }
            return new CloseResult(outTradeNo, CloseOutcome.CLOSED);
        }
        if (TRADE_STATUS_ERROR.equals(response.getSubCode())) {
            Trade trade = query(outTradeNo);
            if (trade == null) {
                throw new HttpServerErrorException(HttpStatus.SERVICE_UNAVAILABLE, "Alipay refused to close trade "
                        + outTradeNo + " (" + TRADE_STATUS_ERROR + ") and its query does not find it");
            }
            if (trade.status() == TradeStatus.CLOSED) {
                return new CloseResult(outTradeNo, CloseOutcome.CLOSED);
            }
            if (trade.status() == TradeStatus.SUCCESS) {
                return new CloseResult(outTradeNo, CloseOutcome.ALREADY_PAID);
            }
            throw new HttpServerErrorException(HttpStatus.SERVICE_UNAVAILABLE, "Alipay refused to close trade "
                    + outTradeNo + " (" + TRADE_STATUS_ERROR + ") while its query says it waits for the buyer");
        }
        throw refused(what, response);
    }

    /**
     * Refunds to the buyer under our refund number ({@code out_request_no}: Alipay refunds once per number and trade).
     * {@code fund_change} Y: this call moved the money. N: the number was refunded before (a repeat) or the money
     * has not moved yet; the refund's query tells which (finished: that refund; not yet: 503, asked again later).
     */
    @Override
    public Refund refund(String outTradeNo, String refundNo, long amount, long tradeAmount, String currency,
            String reason) {
        requireCny(currency);
        AlipayTradeRefundModel model = new AlipayTradeRefundModel();
        model.setOutTradeNo(outTradeNo);
        model.setRefundAmount(yuan(amount));
        model.setOutRequestNo(refundNo);
        model.setRefundReason(cut(reason, 256));
        AlipayTradeRefundRequest request = new AlipayTradeRefundRequest();
        request.setBizModel(model);
        String what = "the refund";
        AlipayTradeRefundResponse response = execute(what, request);
        if (!succeeded(response)) {
            throw refused(what, response);
        }
        if (response.getOutTradeNo() != null && !outTradeNo.equals(response.getOutTradeNo())) {
            throw malformed(what, "trade " + response.getOutTradeNo() + " was answered for " + outTradeNo);
        }
        if ("Y".equals(response.getFundChange())) {
            Instant refundedAt = instant(response.getGmtRefundPay());
            return new Refund(refundNo, outTradeNo, amount, refundedAt != null ? refundedAt : this.clock.instant());
        }
        Refund done = queryRefund(outTradeNo, refundNo);
        if (done == null) {
            throw new HttpServerErrorException(HttpStatus.SERVICE_UNAVAILABLE, "Alipay accepted refund " + refundNo
                    + " without moving money (fund_change N), and its query does not show it finished yet");
        }
        if (done.amount() != amount) {
            throw new HttpClientErrorException(HttpStatus.CONFLICT, "Refund " + refundNo + " at Alipay is of "
                    + done.amount() + " fen, not of " + amount);
        }
        return done;
    }

    /**
     * The refund when Alipay has finished it ({@code refund_status} REFUND_SUCCESS); {@code null} when Alipay
     * answers no status (it did not receive the refund, or it failed) or knows no such trade.
     */
    @Override
    public @Nullable Refund queryRefund(String outTradeNo, String refundNo) {
        AlipayTradeFastpayRefundQueryModel model = new AlipayTradeFastpayRefundQueryModel();
        model.setOutTradeNo(outTradeNo);
        model.setOutRequestNo(refundNo);
        model.setQueryOptions(List.of("gmt_refund_pay"));
        AlipayTradeFastpayRefundQueryRequest request = new AlipayTradeFastpayRefundQueryRequest();
        request.setBizModel(model);
        String what = "the refund's query";
        AlipayTradeFastpayRefundQueryResponse response = execute(what, request);
        if (!succeeded(response)) {
            if (TRADE_NOT_EXIST.equals(response.getSubCode())) {
                requireSigned(what, response);
                return null;
            }
            throw refused(what, response);
        }
        if (!"REFUND_SUCCESS".equals(response.getRefundStatus())) {
            return null;
        }
        if (response.getOutRequestNo() != null && !refundNo.equals(response.getOutRequestNo())) {
            throw malformed(what, "refund " + response.getOutRequestNo() + " was answered for " + refundNo);
        }
        long refunded = fenOf(response.getRefundAmount(), what, "refund_amount");
        if (refunded <= 0) {
            throw malformed(what, "a refund_amount that is not positive: " + response.getRefundAmount());
        }
        Instant refundedAt = instant(response.getGmtRefundPay());
        return new Refund(refundNo, outTradeNo, refunded, refundedAt != null ? refundedAt : this.clock.instant());
    }

    /**
     * The day's trade bill (业务账单, {@code bill_type=trade}): its link asked for, the zip downloaded (at most
     * {@value #MAX_BILL_BYTES} bytes), its 业务明细 file read ({@link #parseBill}). Alipay answers
     * {@code isp.bill_not_exist} for a bill not generated yet (it generates the day's bill the next morning, Beijing
     * time: 503, asked again later) and for a day without a bill: a day that ended more than a day ago without a bill
     * has an empty statement.
     * @throws IllegalArgumentException when the bill is malformed, of another day or seller, or does not add up
     */
    @Override
    public Statement statement(LocalDate day) {
        AlipayDataDataserviceBillDownloadurlQueryModel model = new AlipayDataDataserviceBillDownloadurlQueryModel();
        model.setBillType("trade");
        model.setBillDate(day.toString());
        AlipayDataDataserviceBillDownloadurlQueryRequest request = new AlipayDataDataserviceBillDownloadurlQueryRequest();
        request.setBizModel(model);
        String what = "the bill's link";
        AlipayDataDataserviceBillDownloadurlQueryResponse response = execute(what, request);
        if (!succeeded(response)) {
            LocalDate today = this.clock.instant().atZone(BEIJING).toLocalDate();
            if (BILL_NOT_EXIST.equals(response.getSubCode()) && day.isBefore(today.minusDays(1))) {
                requireSigned(what, response);
                return Statement.of(day, List.of());
            }
            throw refused(what, response);
        }
        String url = response.getBillDownloadUrl();
        if (blank(url)) {
            throw malformed(what, "no bill_download_url");
        }
        return parseBill(download(url, day), day, this.sellerId);
    }

    /** Downloads a bill's zip, bounded in size, recording the exchange (not the zip's bytes). */
    private byte[] download(String url, LocalDate day) {
        URI uri;
        try {
            uri = URI.create(url);
        }
        catch (IllegalArgumentException ex) {
            throw malformed("the bill's link", "bill_download_url is not a URL: " + cut(url, 200));
        }
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())) {
            throw malformed("the bill's link", "bill_download_url is not an http(s) URL: " + cut(url, 200));
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(this.timeout.multipliedBy(12)).GET().build();
        Instant started = this.clock.instant();
        long start = System.nanoTime();
        String endpoint = "alipay bill download: " + uri.getRawPath();
        byte[] bytes;
        int status;
        try {
            HttpResponse<InputStream> response = this.http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            status = response.statusCode();
            try (InputStream body = response.body()) {
                bytes = body.readNBytes(MAX_BILL_BYTES + 1);
            }
        }
        catch (IOException ex) {
            this.exchangeLog.record(new ExchangeLog.Entry(ExchangeLog.Direction.OUTBOUND, "GET", endpoint, Map.of(), null,
                    null, null, (System.nanoTime() - start) / 1_000_000, ex.toString(), started));
            throw new ResourceAccessException("Alipay's bill of " + day + " could not be downloaded: " + ex, ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ResourceAccessException("Interrupted while downloading Alipay's bill of " + day,
                    new InterruptedIOException(ex.getMessage()));
        }
        this.exchangeLog.record(new ExchangeLog.Entry(ExchangeLog.Direction.OUTBOUND, "GET", endpoint, Map.of(), null,
                status, "(" + bytes.length + " bytes)", (System.nanoTime() - start) / 1_000_000, null, started));
        if (status != 200) {
            throw new HttpServerErrorException(HttpStatus.BAD_GATEWAY, "Alipay's bill of " + day
                    + " could not be downloaded: HTTP " + status);
        }
        if (bytes.length > MAX_BILL_BYTES) {
            throw new IllegalArgumentException("Alipay's bill of " + day + " is larger than " + MAX_BILL_BYTES + " bytes");
        }
        return bytes;
    }

    /**
     * Reads Alipay's trade bill: a zip holding {@code <account>_<yyyyMMdd>_业务明细.csv} (and its {@code (汇总)},
     * not read), GBK, entry names in GBK too. The 业务明细 file: {@code #} lines naming the account (our seller's
     * PID followed by 0156) and the day (起始日期/终止日期, Beijing midnights), the column row, a row per capture
     * ({@code 交易}) and per refund ({@code 退款}, its amounts negative, its {@code 退款批次号/请求号} our refund
     * number), the end line ({@code 业务明细列表结束}), then {@code #交易合计：N笔，商家实收共X元...} and
     * {@code #退款合计：M笔，商家实收退款共-Y元...}, which the rows must add up to. Columns are found by name; cells
     * may end with a tab (Alipay adds one to keep spreadsheets from reading long numbers as numbers). A capture is
     * its {@code 订单金额（元）} (what the trade captured, as the notification's {@code total_amount}), a refund the
     * absolute of its {@code 订单金额（元）}; times are {@code 完成时间}, Beijing time.
     * @throws IllegalArgumentException when the bill is malformed, of another day or seller, cut short, or does not
     * add up
     */
    static Statement parseBill(byte[] zip, LocalDate day, String sellerId) {
        String detail = null;
        String detailName = null;
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip), GBK)) {
            ZipEntry entry;
            int entries = 0;
            while ((entry = in.getNextEntry()) != null) {
                if (++entries > 16) {
                    throw new IllegalArgumentException("The bill of " + day + " holds more than 16 files");
                }
                String name = entry.getName();
                if (entry.isDirectory() || !name.endsWith("_业务明细.csv")) {
                    continue;
                }
                if (detail != null) {
                    throw new IllegalArgumentException("The bill of " + day + " holds two 业务明细 files: " + detailName
                            + " and " + name);
                }
                byte[] bytes = in.readNBytes(MAX_BILL_TEXT_BYTES + 1);
                if (bytes.length > MAX_BILL_TEXT_BYTES) {
                    throw new IllegalArgumentException("The bill's " + name + " is larger than " + MAX_BILL_TEXT_BYTES
                            + " bytes unzipped");
                }
                detail = gbk(bytes, name);
                detailName = name;
            }
        }
        catch (IOException ex) {
            throw new IllegalArgumentException("The bill of " + day + " is not a readable zip: " + ex.getMessage(), ex);
        }
        if (detail == null || detailName == null) {
            throw new IllegalArgumentException("The bill of " + day + " has no 业务明细 file (…_业务明细.csv)");
        }
        if (!detailName.contains("_" + day.format(DateTimeFormatter.BASIC_ISO_DATE) + "_")) {
            throw new IllegalArgumentException("The bill's " + detailName + " is not of " + day);
        }
        return parseDetail(detail, day, sellerId);
    }

    /** The 业务明细 file's text, read as {@link #parseBill} says. */
    static Statement parseDetail(String text, LocalDate day, String sellerId) {
        String[] rows = text.split("\\R", -1);
        boolean account = false;
        boolean period = false;
        boolean ended = false;
        Map<String, Integer> columns = null;
        Matcher tradeTotal = null;
        Matcher refundTotal = null;
        List<Statement.Line> lines = new ArrayList<>();
        int payments = 0;
        int refunds = 0;
        long received = 0;
        long refundReceived = 0;
        for (int i = 0; i < rows.length; i++) {
            String row = rows[i].strip();
            int number = i + 1;
            if (row.isEmpty()) {
                continue;
            }
            if (row.startsWith("#")) {
                if (row.startsWith("#账号：")) {
                    Matcher matcher = ACCOUNT.matcher(row);
                    // Alipay's account of the seller's CNY bills: its PID followed by 0156
                    if (!matcher.matches() || !matcher.group(1).equals(sellerId + "0156")) {
                        throw new IllegalArgumentException("The bill of " + day + " is not of our seller " + sellerId
                                + ": " + row);
                    }
                    account = true;
                }
                else if (row.startsWith("#起始日期：")) {
                    Matcher matcher = PERIOD.matcher(row);
                    if (!matcher.matches() || !matcher.group(1).equals(CN_DAY.format(day))
                            || !matcher.group(2).equals(CN_DAY.format(day.plusDays(1)))) {
                        throw new IllegalArgumentException("The bill is not of " + day + ": " + row);
                    }
                    period = true;
                }
                else if (row.contains("业务明细列表结束")) {
                    if (columns == null) {
                        throw new IllegalArgumentException("The bill of " + day + " ends before its column row");
                    }
                    ended = true;
                }
                else if (row.startsWith("#交易合计：")) {
                    tradeTotal = matched(TRADE_TOTAL, row, number);
                }
                else if (row.startsWith("#退款合计：")) {
                    refundTotal = matched(REFUND_TOTAL, row, number);
                }
                continue;
            }
            if (ended) {
                throw new IllegalArgumentException("Row " + number + " of the bill of " + day + " comes after its end line");
            }
            if (columns == null) {
                columns = header(row);
                for (String name : List.of("支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额（元）", "商家实收（元）",
                        "退款批次号/请求号")) {
                    column(columns, name);
                }
                continue;
            }
            List<String> cells = split(row, number);
            if (cells.size() != columns.size()) {
                throw new IllegalArgumentException("Row " + number + " of the bill has " + cells.size()
                        + " cells where its column row has " + columns.size());
            }
            String tradeNo = cells.get(column(columns, "支付宝交易号"));
            String outTradeNo = cells.get(column(columns, "商户订单号"));
            if (tradeNo.isEmpty() || outTradeNo.isEmpty()) {
                throw new IllegalArgumentException("Row " + number + " of the bill has no 支付宝交易号 or 商户订单号");
            }
            long ordered = fen(cells.get(column(columns, "订单金额（元）")), number, "订单金额（元）");
            long receipt = fen(cells.get(column(columns, "商家实收（元）")), number, "商家实收（元）");
            Instant time = billTime(cells.get(column(columns, "完成时间")), number);
            String type = cells.get(column(columns, "业务类型"));
            try {
                switch (type) {
                    case "交易" -> {
                        if (ordered <= 0) {
                            throw new IllegalArgumentException("Capture row " + number + " of the bill has an 订单金额 "
                                    + "that is not positive");
                        }
                        payments++;
                        received = Math.addExact(received, receipt);
                        lines.add(new Statement.Line("PAYMENT", outTradeNo, tradeNo, null, ordered, time));
                    }
                    case "退款" -> {
                        if (ordered >= 0) {
                            throw new IllegalArgumentException("Refund row " + number + " of the bill has an 订单金额 "
                                    + "that is not negative");
                        }
                        String refundNo = cells.get(column(columns, "退款批次号/请求号"));
                        if (refundNo.isEmpty()) {
                            throw new IllegalArgumentException("Refund row " + number + " of the bill has no 退款批次号/请求号");
                        }
                        refunds++;
                        refundReceived = Math.addExact(refundReceived, receipt);
                        lines.add(new Statement.Line("REFUND", outTradeNo, tradeNo, refundNo, Math.negateExact(ordered),
                                time));
                    }
                    default -> throw new IllegalArgumentException("Row " + number + " of the bill is of 业务类型 " + type
                            + ", neither a capture (交易) nor a refund (退款)");
                }
            }
            catch (ArithmeticException overflow) {
                throw new IllegalArgumentException("The bill's amounts add up to more than minor units can hold, at row "
                        + number);
            }
        }
        if (!account || !period) {
            throw new IllegalArgumentException("The bill has no #账号 or #起始日期 line: not a bill of " + day);
        }
        if (columns == null || !ended) {
            throw new IllegalArgumentException("The bill of " + day + " has no column row or no end line "
                    + "(业务明细列表结束): it may be cut short");
        }
        if (tradeTotal == null) {
            throw new IllegalArgumentException("The bill of " + day + " has no #交易合计 line: it may be cut short");
        }
        agree(tradeTotal, payments, received, "交易合计", day);
        if (refundTotal != null) {
            agree(refundTotal, refunds, refundReceived, "退款合计", day);
        }
        else if (refunds > 0) {
            throw new IllegalArgumentException("The bill of " + day + " has " + refunds
                    + " refund rows and no #退款合计 line");
        }
        return Statement.of(day, lines);
    }

    /** Checks a total line (its count, and its 商家实收 when it states one) against the rows. */
    private static void agree(Matcher total, int count, long receipts, String name, LocalDate day) {
        if (Long.parseLong(total.group(1)) != count) {
            throw new IllegalArgumentException("The bill of " + day + " has " + count + " rows where its #" + name
                    + " says " + total.group(1) + ": it may be cut short");
        }
        if (total.group(2) != null && fen(total.group(2), 0, name) != receipts) {
            throw new IllegalArgumentException("The bill's rows add up to " + receipts + " fen of 商家实收 where its #"
                    + name + " says " + total.group(2) + " yuan");
        }
    }

    private static Matcher matched(Pattern pattern, String row, int number) {
        Matcher matcher = pattern.matcher(row);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("Line " + number + " of the bill is a malformed total: " + row);
        }
        return matcher;
    }

    /** The column row's names (half-width parentheses read as Alipay's full-width ones), by position. */
    private static Map<String, Integer> header(String row) {
        Map<String, Integer> columns = new HashMap<>();
        List<String> names = split(row, 0);
        for (int i = 0; i < names.size(); i++) {
            columns.putIfAbsent(names.get(i).replace('(', '（').replace(')', '）'), i);
        }
        return columns;
    }

    private static int column(Map<String, Integer> columns, String name) {
        Integer index = columns.get(name);
        if (index == null) {
            throw new IllegalArgumentException("The bill has no column " + name + ": " + columns.keySet());
        }
        return index;
    }

    /**
     * A CSV row's cells, stripped of surrounding whitespace (and so of Alipay's trailing tabs). Alipay does not quote
     * its cells; a cell that starts with a double quote is read as quoted all the same (RFC 4180).
     */
    static List<String> split(String row, int number) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < row.length(); i++) {
            char c = row.charAt(i);
            if (quoted) {
                if (c != '"') {
                    cell.append(c);
                }
                else if (i + 1 < row.length() && row.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                }
                else {
                    quoted = false;
                }
            }
            else if (c == '"' && cell.toString().isBlank()) {
                cell.setLength(0);
                quoted = true;
            }
            else if (c == ',') {
                cells.add(cell.toString().strip());
                cell.setLength(0);
            }
            else {
                cell.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("Row " + number + " of the bill has a quote that is not closed");
        }
        cells.add(cell.toString().strip());
        return cells;
    }

    /** An amount of yuan in the bill (at most two decimals, maybe negative) as fen, exactly. */
    private static long fen(String yuan, int row, String column) {
        if (!YUAN.matcher(yuan).matches()) {
            throw new IllegalArgumentException("Row " + row + " of the bill has a " + column
                    + " that is not an amount of yuan to the fen: " + yuan);
        }
        try {
            return new BigDecimal(yuan).movePointRight(2).longValueExact();
        }
        catch (ArithmeticException ex) {
            throw new IllegalArgumentException("Row " + row + " of the bill has a " + column + " too large: " + yuan);
        }
    }

    /** A bill's time ({@code yyyy-MM-dd HH:mm:ss}, Beijing time). */
    private static Instant billTime(String value, int row) {
        try {
            return LocalDateTime.parse(value, TIME).atZone(BEIJING).toInstant();
        }
        catch (DateTimeParseException ex) {
            throw new IllegalArgumentException("Row " + row + " of the bill has a malformed 完成时间: " + value);
        }
    }

    /** GBK text, strictly: bytes that are not GBK make the bill malformed rather than garbled. */
    private static String gbk(byte[] bytes, String name) {
        try {
            return GBK.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
        }
        catch (CharacterCodingException ex) {
            throw new IllegalArgumentException("The bill's " + name + " is not GBK text: " + ex);
        }
    }

    /**
     * Verifies a notification (异步通知, a form-encoded POST read as UTF-8, our requests' charset): Alipay's RSA2
     * signature with its public key ({@code AlipaySignature.rsaCheckV1}: every parameter but {@code sign} and
     * {@code sign_type}, sorted), then that it is ours (app and seller), a {@code trade_status_sync} with a trade
     * number of at most 40 characters, a {@code notify_id} and an exact amount. {@code TRADE_SUCCESS} and
     * {@code TRADE_FINISHED} mean paid (both read as {@link Notification#TRADE_SUCCESS}); any other status passes
     * through, so the payment does not take it as paid. Alipay's notifications carry no freshness of their own
     * ({@code notify_time} is the send's; a replay of a genuine one is as harmless as Alipay's own repeats, which
     * {@code notify_id} makes idempotent). A refund's notification (with {@code refund_fee}) is read the same way: its
     * trade is paid (or closed when refunded in full).
     */
    @Override
    public Verification verify(CallbackRequest request) {
        Map<String, String> params;
        try {
            params = form(request.body());
        }
        catch (IllegalArgumentException ex) {
            return new Verification.Refused("unreadable notification: " + ex.getMessage(), false);
        }
        String outTradeNo = params.get("out_trade_no");
        String logged = outTradeNo != null && outTradeNo.length() <= 40 ? outTradeNo : null;
        if (blank(params.get("sign"))) {
            return new Verification.Refused("no sign", Verification.Refused.Kind.FORGED, logged);
        }
        if (!"RSA2".equals(params.get("sign_type"))) {
            return new Verification.Refused("sign_type " + params.get("sign_type") + " is not RSA2",
                    Verification.Refused.Kind.FORGED, logged);
        }
        boolean authentic;
        try {
            authentic = AlipaySignature.rsaCheckV1(new HashMap<>(params), this.alipayPublicKey, "UTF-8", "RSA2");
        }
        catch (AlipayApiException | RuntimeException ex) {
            authentic = false;
        }
        if (!authentic) {
            return new Verification.Refused("the signature does not verify with Alipay's public key",
                    Verification.Refused.Kind.FORGED, logged);
        }
        if (!this.appId.equals(params.get("app_id"))) {
            return new Verification.Refused("app " + params.get("app_id") + " is not ours",
                    Verification.Refused.Kind.NOT_OURS, logged);
        }
        if (!this.sellerId.equals(params.get("seller_id"))) {
            return new Verification.Refused("seller " + params.get("seller_id") + " is not ours",
                    Verification.Refused.Kind.NOT_OURS, logged);
        }
        if (outTradeNo == null || outTradeNo.isBlank() || outTradeNo.length() > 40) {
            return new Verification.Refused("out_trade_no missing or longer than 40 characters", false);
        }
        String notifyId = params.get("notify_id");
        if (notifyId == null || notifyId.isBlank() || notifyId.length() > 64) {
            return malformedNotification("notify_id missing or longer than 64 characters", outTradeNo);
        }
        if (!"trade_status_sync".equals(params.get("notify_type"))) {
            return malformedNotification("notify_type " + params.get("notify_type") + " is not trade_status_sync",
                    outTradeNo);
        }
        String charset = params.get("charset");
        if (!blank(charset) && !"utf-8".equalsIgnoreCase(charset)) {
            return malformedNotification("charset " + charset + " where our requests ask for utf-8", outTradeNo);
        }
        String tradeNo = params.get("trade_no");
        if (tradeNo == null || tradeNo.isBlank() || tradeNo.length() > 64) {
            return malformedNotification("trade_no missing or longer than 64 characters", outTradeNo);
        }
        Long amount = fenOrNull(params.get("total_amount"));
        if (amount == null || amount <= 0) {
            return malformedNotification("total_amount " + params.get("total_amount")
                    + " is not a positive amount of yuan to the fen", outTradeNo);
        }
        String tradeStatus = params.get("trade_status");
        if (tradeStatus == null || tradeStatus.isBlank()) {
            return malformedNotification("no trade_status", outTradeNo);
        }
        boolean paid = "TRADE_SUCCESS".equals(tradeStatus) || "TRADE_FINISHED".equals(tradeStatus);
        Instant paidAt = notificationTime(params.get("gmt_payment"));
        if (paid && paidAt == null) {
            return malformedNotification("a paid trade without a gmt_payment (yyyy-MM-dd HH:mm:ss)", outTradeNo);
        }
        if (paidAt == null) {
            Instant sent = notificationTime(params.get("notify_time"));
            paidAt = sent != null ? sent : this.clock.instant();
        }
        return new Verification.Verified(new Notification(notifyId, this.appId, outTradeNo, tradeNo, amount, "CNY",
                paid ? Notification.TRADE_SUCCESS : tradeStatus, paidAt), request.body());
    }

    private static Verification.Refused malformedNotification(String reason, String outTradeNo) {
        return new Verification.Refused(reason, Verification.Refused.Kind.MALFORMED, outTradeNo);
    }

    /** Alipay stops sending a notification answered 200 with exactly {@code success}. */
    @Override
    public ResponseEntity<String> acknowledge() {
        return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body("success");
    }

    /** Anything but {@code success} makes Alipay send the notification again; {@code fail} says so plainly. */
    @Override
    public ResponseEntity<String> reject(HttpStatus status, String reason) {
        return ResponseEntity.status(status).contentType(MediaType.TEXT_PLAIN).body("fail");
    }

    /**
     * Makes one call through the SDK. Answers Alipay's answer, whether it succeeded or not (the caller decides what
     * a refusal means); throws when there is no answer to trust.
     * @param what the call, as the exceptions name it
     */
    private <T extends AlipayResponse> T execute(String what, AlipayRequest<T> request) {
        T response;
        try {
            response = this.client.execute(request);
        }
        catch (AlipayApiException ex) {
            IOException io = ioCause(ex);
            if (io != null) {
                throw new ResourceAccessException("Alipay could not be reached for " + what + ", or did not answer in "
                        + "time: " + io, io);
            }
            throw new HttpServerErrorException(HttpStatus.BAD_GATEWAY, "Alipay's answer to " + what
                    + " is not trusted: it does not verify with Alipay's public key, or cannot be read ("
                    + cut(String.valueOf(ex.getMessage()), 300) + ")");
        }
        catch (RuntimeException ex) {
            // the SDK's JSON reader and converters throw their own runtime exceptions for an unreadable answer
            throw malformed(what, ex.toString());
        }
        if (response == null) {
            throw malformed(what, "no answer");
        }
        return response;
    }

    /** The {@link IOException} at the root of what the SDK threw, or {@code null} when it is not about I/O. */
    private static @Nullable IOException ioCause(Throwable thrown) {
        Throwable cause = thrown;
        for (int depth = 0; cause != null && depth < 10; depth++) {
            if (cause instanceof IOException io) {
                return io;
            }
            cause = cause.getCause();
        }
        return null;
    }

    /** Whether Alipay answered success ({@code code} 10000, no {@code sub_code}). */
    private static boolean succeeded(AlipayResponse response) {
        return SUCCESS_CODE.equals(response.getCode()) && blank(response.getSubCode());
    }

    /**
     * Alipay's refusal as a {@link RestClientException} (see the class's description): its {@code sub_code} as the
     * status text, its answer as the body, {@code code}, {@code msg}, {@code sub_code} and {@code sub_msg} in the
     * message.
     */
    private RestClientException refused(String what, AlipayResponse response) {
        String code = response.getCode() != null ? response.getCode() : "";
        if (!signed(response)) {
            // a refusal is acted on (a payment withdrawn, a refund flagged): only Alipay's signed one is
            return new HttpServerErrorException(HttpStatus.BAD_GATEWAY, "Alipay's answer to " + what + " (" + code + " "
                    + response.getSubCode() + ") is not signed: not taken for a refusal");
        }
        String subCode = response.getSubCode() != null ? response.getSubCode() : "";
        String message = "Alipay answered " + what + " with " + code + " " + response.getMsg() + ": " + subCode + " "
                + response.getSubMsg();
        byte[] body = response.getBody() != null ? response.getBody().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if ("20000".equals(code) || subCode.startsWith("isp.") || subCode.startsWith("aop.")
                || subCode.endsWith("SYSTEM_ERROR")) {
            return HttpServerErrorException.create(message, HttpStatus.SERVICE_UNAVAILABLE, subCode, new HttpHeaders(),
                    body, StandardCharsets.UTF_8);
        }
        if ("40004".equals(code)) {
            return HttpClientErrorException.create(message, HttpStatus.CONFLICT, subCode, new HttpHeaders(), body,
                    StandardCharsets.UTF_8);
        }
        if (code.startsWith("4") || code.startsWith("2")) {
            return HttpClientErrorException.create(message, HttpStatus.BAD_REQUEST, subCode, new HttpHeaders(), body,
                    StandardCharsets.UTF_8);
        }
        return HttpServerErrorException.create(message, HttpStatus.BAD_GATEWAY, subCode, new HttpHeaders(), body,
                StandardCharsets.UTF_8);
    }

    /**
     * Requires the refusal a decision is taken from to be signed: the SDK verifies an error answer's signature only
     * when there is one, so an unsigned one could be anyone's.
     */
    /** Whether the answer carries a signature (the SDK has then verified it with Alipay's key, or thrown). */
    private boolean signed(AlipayResponse response) {
        String body = response.getBody();
        if (body == null) {
            return false;
        }
        try {
            JsonNode sign = this.json.readTree(body).get("sign");
            return sign != null && sign.isString() && !sign.asString().isBlank();
        }
        catch (JacksonException ex) {
            return false;
        }
    }

    private void requireSigned(String what, AlipayResponse response) {
        if (!signed(response)) {
            throw new HttpServerErrorException(HttpStatus.BAD_GATEWAY, "Alipay's answer to " + what + " ("
                    + response.getSubCode() + ") is not signed: not trusted");
        }
    }

    private static HttpServerErrorException malformed(String what, String why) {
        return new HttpServerErrorException(HttpStatus.BAD_GATEWAY,
                "Alipay's answer to " + what + " could not be used: " + cut(why, 300));
    }

    private static void requireCny(String currency) {
        if (!"CNY".equals(currency)) {
            throw new HttpClientErrorException(HttpStatus.BAD_REQUEST,
                    "Alipay's domestic trades and refunds are in CNY, not " + currency);
        }
    }

    /** An amount as Alipay's yuan: a positive number of fen, exactly ({@code 1234} is {@code "12.34"}). */
    static String yuan(long fen) {
        if (fen <= 0) {
            throw new HttpClientErrorException(HttpStatus.BAD_REQUEST, "Alipay takes positive amounts, not " + fen);
        }
        return BigDecimal.valueOf(fen, 2).toPlainString();
    }

    /** Alipay's yuan in an answer as fen, exactly; a 502 when it is not an amount to the fen. */
    private static long fenOf(@Nullable String yuan, String what, String field) {
        Long fen = fenOrNull(yuan);
        if (fen == null) {
            throw malformed(what, field + " " + yuan + " is not an amount of yuan to the fen");
        }
        return fen;
    }

    /** Alipay's yuan as fen, or {@code null} when it is not an amount of at most two decimals. */
    static @Nullable Long fenOrNull(@Nullable String yuan) {
        if (yuan == null || !YUAN.matcher(yuan).matches()) {
            return null;
        }
        try {
            return new BigDecimal(yuan).movePointRight(2).longValueExact();
        }
        catch (ArithmeticException ex) {
            return null;
        }
    }

    /** A time the SDK read from an answer (it reads them as GMT+8, Beijing time). */
    private static @Nullable Instant instant(@Nullable Date date) {
        return date != null ? date.toInstant() : null;
    }

    /** A notification's time ({@code yyyy-MM-dd HH:mm:ss}, Beijing time), or {@code null} when absent or malformed. */
    private static @Nullable Instant notificationTime(@Nullable String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return LocalDateTime.parse(value, TIME).atZone(BEIJING).toInstant();
        }
        catch (DateTimeParseException ex) {
            return null;
        }
    }

    /**
     * A form-encoded body's parameters, decoded as UTF-8.
     * @throws IllegalArgumentException when it is not form-encoded, or names a parameter twice (which a tampered
     * notification could use to show one value to the signature check and another to us)
     */
    static Map<String, String> form(String body) {
        Map<String, String> params = new LinkedHashMap<>();
        if (body.isBlank()) {
            throw new IllegalArgumentException("empty body");
        }
        for (String pair : body.strip().split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (params.put(name, value) != null) {
                throw new IllegalArgumentException("parameter " + cut(name, 40) + " twice");
            }
        }
        return params;
    }

    private static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max);
    }

    private static boolean blank(@Nullable String text) {
        return text == null || text.isBlank();
    }

    private static String required(@Nullable String value, String property) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("Set " + property + " to use Alipay (payment.alipay.enabled=true)");
        }
        return value;
    }

    /**
     * The SDK's HTTP client ({@code AlipayConfig.customizedHttpClient}): posts as the SDK's own does (system
     * parameters in the query string, {@code biz_content} form-encoded in the body, both in {@code charset}; an HTTP
     * error status is an {@link IOException}), through the JDK's client, and records each exchange in the
     * {@link ExchangeLog}: the endpoint as {@code /gateway.do?method=...}, the request as its query string and body
     * joined in one form (what ExchangeLog reads the trade and refund numbers from, in {@code biz_content}), the
     * answer as Alipay wrote it.
     */
    private static final class Transport extends AbstractHttpClient {

        private static final Pattern CHARSET = Pattern.compile("(?i)charset=\"?([^;\"\\s]+)");

        private final HttpClient http;

        private final Duration timeout;

        private final ExchangeLog log;

        private final JsonMapper json;

        private final Clock clock;

        Transport(HttpClient http, Duration timeout, ExchangeLog log, JsonMapper json, Clock clock) {
            this.http = http;
            this.timeout = timeout;
            this.log = log;
            this.json = json;
            this.clock = clock;
        }

        @Override
        public String doPost(String url, Map<String, String> params, String charset, Map<String, String> resHeaders)
                throws IOException {
            Charset encoding = Charset.forName(charset);
            String form = WebUtils.buildQuery(params, charset);
            byte[] content = form != null ? form.getBytes(encoding) : new byte[0];
            String contentType = "application/x-www-form-urlencoded;charset=" + charset;
            URI uri = URI.create(url);
            String query = uri.getRawQuery() != null ? uri.getRawQuery() : "";
            String endpoint = uri.getRawPath() + "?method=" + parameter(query, "method", encoding);
            String requestBody = query + (form != null && !form.isEmpty() ? "&" + form : "");
            String outTradeNo = bizField(params, "out_trade_no");
            String refundNo = bizField(params, "out_request_no");
            Map<String, String> headers = Map.of("Content-Type", contentType);
            HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(this.timeout)
                .header("Content-Type", contentType)
                .header("Accept", "text/plain,text/xml,text/javascript,text/html")
                .POST(HttpRequest.BodyPublishers.ofByteArray(content))
                .build();
            Instant started = this.clock.instant();
            long start = System.nanoTime();
            HttpResponse<byte[]> response;
            try {
                response = this.http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            }
            catch (IOException ex) {
                this.log.record(new ExchangeLog.Entry(ExchangeLog.Direction.OUTBOUND, "POST", endpoint, headers,
                        requestBody, null, null, (System.nanoTime() - start) / 1_000_000, ex.toString(), started,
                        outTradeNo, refundNo));
                throw ex;
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                this.log.record(new ExchangeLog.Entry(ExchangeLog.Direction.OUTBOUND, "POST", endpoint, headers,
                        requestBody, null, null, (System.nanoTime() - start) / 1_000_000, ex.toString(), started,
                        outTradeNo, refundNo));
                throw new InterruptedIOException("Interrupted while calling Alipay");
            }
            String body = new String(response.body(), charsetOf(response, encoding));
            this.log.record(new ExchangeLog.Entry(ExchangeLog.Direction.OUTBOUND, "POST", endpoint, headers, requestBody,
                    response.statusCode(), body, (System.nanoTime() - start) / 1_000_000, null, started, outTradeNo,
                    refundNo));
            if (resHeaders != null) {
                response.headers().firstValue("trace_id").ifPresent(traceId -> resHeaders.put("trace_id", traceId));
            }
            if (response.statusCode() >= 400) {
                throw new IOException("Alipay answered HTTP " + response.statusCode() + ": " + cut(body, 200));
            }
            return body;
        }

        /** Uploads (files in a multipart body) are not among the calls this channel makes. */
        @Override
        public String doPost(String url, Map<String, String> params, Map<String, FileItem> fileParams, String charset,
                Map<String, String> resHeaders) throws IOException {
            throw new IOException("Uploads to Alipay are not made by this channel");
        }

        /** The charset of an answer: its Content-Type's, else the request's (as the SDK reads answers). */
        private static Charset charsetOf(HttpResponse<?> response, Charset fallback) {
            String contentType = response.headers().firstValue("Content-Type").orElse("");
            Matcher matcher = CHARSET.matcher(contentType);
            if (matcher.find()) {
                try {
                    return Charset.forName(matcher.group(1));
                }
                catch (IllegalArgumentException unknown) {
                    return fallback;
                }
            }
            return fallback;
        }

        /** A parameter of a raw query string, decoded, or empty. */
        private static String parameter(String query, String name, Charset charset) {
            for (String pair : query.split("&")) {
                if (pair.startsWith(name + "=")) {
                    return URLDecoder.decode(pair.substring(name.length() + 1), charset);
                }
            }
            return "";
        }

        /** A string field of the call's {@code biz_content}, or {@code null}. */
        private @Nullable String bizField(Map<String, String> params, String field) {
            String content = params.get("biz_content");
            if (content == null || content.isBlank()) {
                return null;
            }
            try {
                JsonNode value = this.json.readTree(content).get(field);
                return value != null && value.isString() ? value.asString() : null;
            }
            catch (JacksonException ex) {
                return null;
            }
        }
    }
}
