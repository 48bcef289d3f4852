package io.tally.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.Charset;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

import io.tally.channel.ChannelMessages.CloseOutcome;
import io.tally.channel.ChannelMessages.CreateTrade;
import io.tally.channel.ChannelMessages.LedgerEntry;
import io.tally.channel.ChannelMessages.Refund;
import io.tally.channel.ChannelMessages.RefundRequest;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.channel.ChannelMessages.TradeStatus;
import io.tally.channel.PemKeys;
import io.tally.channel.Signatures;

/**
 * Alipay's open API gateway ({@code POST /alipay/gateway.do}) as the official Java SDK calls it in public-key mode
 * with RSA2, so that the SDK itself can be run against the simulator.
 * <p>
 * The SDK ({@code DefaultAlipayClient}) sends the system parameters ({@code method}, {@code app_id},
 * {@code charset}, {@code sign_type}, {@code timestamp}, {@code version}, {@code notify_url}, {@code format},
 * {@code alipay_sdk}, {@code sign}) in the query string and {@code biz_content} (the API's JSON parameters) in a
 * form-encoded body, both URL-encoded in {@code charset}. It signs every parameter but {@code sign} (so
 * {@code sign_type} is signed too), sorted by name, empty ones left out, as {@code name=value&...}, with
 * SHA256withRSA. It verifies the answer by taking the text of the {@code <method>_response} object exactly as it
 * stands in the body and checking {@code sign} over it; so every answer here, errors included, is written as
 * {@code {"<method>_response":<node>,"sign":"..."}} with the node's text signed as it is written.
 * <p>
 * Errors are answered as Alipay answers them, HTTP 200 with a {@code code} other than 10000: 40001 for a missing
 * system parameter, 40002 for an invalid one (unknown app, bad signature), 40004 for a business refusal
 * ({@code ACQ.*}), 20000 for a system failure (what the faults inject).
 */
@RestController
class AlipayGateway {

    private static final Logger log = LoggerFactory.getLogger(AlipayGateway.class);

    /** Alipay's zone: the times on its wire are Beijing wall-clock times. */
    static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");

    /** Alipay's format of times on its wire. */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    static final String PRECREATE = "alipay.trade.precreate";

    static final String QUERY = "alipay.trade.query";

    static final String CLOSE = "alipay.trade.close";

    static final String REFUND = "alipay.trade.refund";

    static final String REFUND_QUERY = "alipay.trade.fastpay.refund.query";

    static final String BILL = "alipay.data.dataservice.bill.downloadurl.query";

    private static final Set<String> METHODS = Set.of(PRECREATE, QUERY, CLOSE, REFUND, REFUND_QUERY, BILL);

    /** A price as Alipay takes it: yuan with at most two decimals. */
    private static final Pattern YUAN = Pattern.compile("\\d{1,9}(\\.\\d{1,2})?");

    /** A relative timeout ({@code timeout_express}): minutes, hours or days. */
    private static final Pattern TIMEOUT_EXPRESS = Pattern.compile("(\\d{1,5})([mhd])");

    /** The most a trade may cost (100,000,000 yuan), in fen. */
    private static final long MAX_AMOUNT = 10_000_000_000L;

    /** How long a trade created without {@code time_expire} or {@code timeout_express} waits for its buyer. */
    private static final Duration DEFAULT_TIMEOUT = Duration.ofHours(2);

    /** How long a bill download link works (Alipay's: 30 seconds). */
    private static final Duration BILL_LINK_VALIDITY = Duration.ofSeconds(30);

    private static final Charset GBK = Charset.forName("GBK");

    private static final DateTimeFormatter CN_DAY = DateTimeFormatter.ofPattern("yyyy年MM月dd日");

    private static final DateTimeFormatter CN_TIME = DateTimeFormatter.ofPattern("yyyy年MM月dd日 HH:mm:ss");

    private static final String DETAIL_BEGIN = "#" + "-".repeat(41) + "业务明细列表" + "-".repeat(40);

    private static final String DETAIL_END = "#" + "-".repeat(41) + "业务明细列表结束" + "-".repeat(36);

    private static final String SUMMARY_BEGIN = "#" + "-".repeat(41) + "业务汇总列表" + "-".repeat(40);

    private static final String SUMMARY_END = "#" + "-".repeat(40) + "业务汇总列表结束" + "-".repeat(37);

    private static final List<String> DETAIL_COLUMNS = List.of("支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间",
            "完成时间", "门店编号", "门店名称", "操作员", "终端号", "对方账户", "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）",
            "支付宝优惠（元）", "商家优惠（元）", "券核销金额（元）", "券名称", "商家红包消费金额（元）", "卡消费金额（元）", "退款批次号/请求号", "服务费（元）",
            "分润（元）", "备注");

    private static final List<String> SUMMARY_COLUMNS = List.of("门店编号", "门店名称", "交易订单总笔数", "退款订单总笔数", "订单金额（元）",
            "商家实收（元）", "支付宝优惠（元）", "商家优惠（元）", "卡消费金额（元）", "服务费（元）", "分润（元）", "实收净额（元）");

    /** How the simulated buyer's account shows in bills. */
    private static final String BUYER_IN_BILL = "*模拟(sim***@example.com)";

    private final Trades trades;

    private final Faults faults;

    private final AlipayNotifications notifications;

    private final AlipayProperties properties;

    private final JsonMapper json;

    private final Clock clock;

    private final PrivateKey privateKey;

    private final PublicKey publicKey;

    private final Map<String, PublicKey> appKeys = new HashMap<>();

    private final Map<String, BillLink> bills = new ConcurrentHashMap<>();

    AlipayGateway(Trades trades, Faults faults, AlipayNotifications notifications, ChannelKeys channelKeys,
            AlipayProperties properties, JsonMapper json, Clock clock) {
        this.trades = trades;
        this.faults = faults;
        this.notifications = notifications;
        this.properties = properties;
        this.json = json;
        this.clock = clock;
        java.security.KeyPair pair = properties.keyPair(channelKeys);
        this.privateKey = pair.getPrivate();
        this.publicKey = pair.getPublic();
        for (AlipayProperties.App app : properties.apps()) {
            PublicKey key = AlipayProperties.publicKey(app);
            if (key == null) {
                log.warn("Alipay app {} has no public key configured: its requests will be refused", app.appId());
                continue;
            }
            this.appKeys.put(app.appId(), key);
        }
    }

    /** "Alipay's" public key (支付宝公钥), which apps verify answers, bills and notifications with. */
    @GetMapping(path = "/alipay/public-key", produces = MediaType.TEXT_PLAIN_VALUE)
    String publicKey() {
        return PemKeys.pem(this.publicKey);
    }

    /** Every API call: the system parameters checked and the signature verified, then the method's own work. */
    @PostMapping("/alipay/gateway.do")
    ResponseEntity<byte[]> gateway(HttpServletRequest request) throws InterruptedException {
        Map<String, String> params = new TreeMap<>();
        String duplicated = null;
        for (Map.Entry<String, String[]> parameter : request.getParameterMap().entrySet()) {
            if (parameter.getValue().length != 1) {
                duplicated = parameter.getKey();
            }
            params.put(parameter.getKey(), parameter.getValue().length > 0 ? parameter.getValue()[0] : "");
        }
        String method = params.get("method");
        Reply reply = duplicated != null
                ? fail(method, "40002", "isv.invalid-parameter", "参数 " + duplicated + " 重复", Map.of())
                : handle(method, params, request);
        return answer(reply);
    }

    /**
     * A bill file (a zip of GBK CSV), while its link is valid. Generated when downloaded, from the trades as they are
     * then (a real bill is fixed once generated; the simulator's days are usually today).
     */
    @GetMapping("/alipay/bills/{token}")
    ResponseEntity<byte[]> bill(@PathVariable String token) {
        BillLink link = this.bills.get(token);
        if (link == null || this.clock.instant().isAfter(link.expiresAt())) {
            this.bills.remove(token);
            return ResponseEntity.status(HttpStatus.NOT_FOUND)
                .contentType(MediaType.TEXT_PLAIN)
                .body("no such bill, or its link expired".getBytes(StandardCharsets.UTF_8));
        }
        String name = fileName(link.account(), link.day());
        return ResponseEntity.ok()
            .contentType(MediaType.APPLICATION_OCTET_STREAM)
            .header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=" + name + ".csv.zip")
            .body(billZip(link.appId(), link.account(), link.day()));
    }

    private Reply handle(@Nullable String method, Map<String, String> params, HttpServletRequest request)
            throws InterruptedException {
        if (blank(method)) {
            return fail(null, "40001", "isv.missing-method", "缺少方法名参数", Map.of());
        }
        if (!METHODS.contains(method)) {
            return fail(null, "40002", "isv.invalid-method", "不存在的方法名", Map.of());
        }
        Reply invalid = invalidSystemParameters(method, params);
        if (invalid != null) {
            return invalid;
        }
        String appId = params.get("app_id");
        JsonNode biz;
        try {
            String content = params.get("biz_content");
            biz = this.json.readTree(blank(content) ? "{}" : content);
        }
        catch (JacksonException ex) {
            return invalidParameter(method, "biz_content is not JSON: " + ex.getOriginalMessage());
        }
        if (!biz.isObject()) {
            return invalidParameter(method, "biz_content is not a JSON object");
        }
        return switch (method) {
            case PRECREATE -> precreate(appId, biz, params);
            case QUERY -> query(appId, biz);
            case CLOSE -> close(appId, biz);
            case REFUND -> refund(appId, biz);
            case REFUND_QUERY -> refundQuery(appId, biz);
            case BILL -> billLink(appId, biz, request);
            default -> throw new IllegalStateException("Unhandled method " + method);
        };
    }

    /** Why the system parameters are refused (missing, invalid, an unknown app, a bad signature), or {@code null}. */
    private @Nullable Reply invalidSystemParameters(String method, Map<String, String> params) {
        String appId = params.get("app_id");
        if (blank(appId)) {
            return fail(method, "40001", "isv.missing-app-id", "缺少AppID参数", Map.of());
        }
        if (blank(params.get("sign_type"))) {
            return fail(method, "40001", "isv.missing-signature-type", "缺少签名类型参数", Map.of());
        }
        if (!"RSA2".equals(params.get("sign_type"))) {
            return fail(method, "40002", "isv.invalid-signature-type", "无效签名类型（只模拟了 RSA2）", Map.of());
        }
        if (blank(params.get("sign"))) {
            return fail(method, "40001", "isv.missing-signature", "缺少签名参数", Map.of());
        }
        String timestamp = params.get("timestamp");
        if (blank(timestamp)) {
            return fail(method, "40001", "isv.missing-timestamp", "缺少时间戳参数", Map.of());
        }
        try {
            LocalDateTime.parse(timestamp, TIME);
        }
        catch (DateTimeParseException ex) {
            return fail(method, "40002", "isv.invalid-timestamp", "非法的时间戳参数", Map.of());
        }
        if (blank(params.get("version"))) {
            return fail(method, "40001", "isv.missing-version", "缺少版本参数", Map.of());
        }
        if (!"1.0".equals(params.get("version"))) {
            return fail(method, "40002", "isv.invalid-version", "非法的版本参数", Map.of());
        }
        String charset = params.get("charset");
        if (!blank(charset) && !"utf-8".equalsIgnoreCase(charset)) {
            return fail(method, "40002", "isv.invalid-charset", "字符集错误（只模拟了 utf-8）", Map.of());
        }
        String format = params.get("format");
        if (!blank(format) && !"json".equalsIgnoreCase(format)) {
            return fail(method, "40002", "isv.invalid-format", "无效的数据格式", Map.of());
        }
        if (this.properties.app(appId) == null) {
            return fail(method, "40002", "isv.invalid-app-id", "无效的AppID参数", Map.of());
        }
        PublicKey key = this.appKeys.get(appId);
        String content = signContent(params, Set.of("sign"));
        if (key == null || !Signatures.verify(content, params.get("sign"), key)) {
            log.warn("Refused an Alipay request {} of app {}: bad signature", method, appId);
            return fail(method, "40002", "isv.invalid-signature",
                    "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：" + content, Map.of());
        }
        return null;
    }

    /** {@code alipay.trade.precreate}: a trade paid by scanning a QR code, created once per {@code out_trade_no}. */
    private Reply precreate(String appId, JsonNode biz, Map<String, String> params) throws InterruptedException {
        this.faults.beforeCreate();
        String outTradeNo = text(biz, "out_trade_no");
        if (outTradeNo == null || outTradeNo.length() > 64) {
            return invalidParameter(PRECREATE, "out_trade_no is required, at most 64 characters");
        }
        String subject = text(biz, "subject");
        if (subject == null || subject.length() > 256) {
            return invalidParameter(PRECREATE, "subject is required, at most 256 characters");
        }
        Long amount = fen(text(biz, "total_amount"));
        if (amount == null || amount <= 0 || amount > MAX_AMOUNT) {
            return invalidParameter(PRECREATE, "total_amount must be yuan in [0.01, 100000000] with at most two decimals");
        }
        Instant now = this.clock.instant();
        Instant expireAt;
        String timeExpire = text(biz, "time_expire");
        String timeoutExpress = text(biz, "timeout_express");
        if (timeExpire != null) {
            try {
                expireAt = LocalDateTime.parse(timeExpire, TIME).atZone(ZONE).toInstant();
            }
            catch (DateTimeParseException ex) {
                return invalidParameter(PRECREATE, "time_expire must be yyyy-MM-dd HH:mm:ss");
            }
        }
        else if (timeoutExpress != null) {
            Duration timeout = timeoutExpress(timeoutExpress);
            if (timeout == null) {
                return invalidParameter(PRECREATE, "timeout_express must be like 15m, 2h or 1d");
            }
            expireAt = now.plus(timeout);
        }
        else {
            expireAt = now.plus(DEFAULT_TIMEOUT);
        }
        String notifyUrl = params.getOrDefault("notify_url", "");
        CreateTrade create = new CreateTrade(appId, outTradeNo, amount, "CNY", expireAt, notifyUrl, subject);
        if (!this.trades.exists(outTradeNo)) {
            try {
                this.trades.create(create, Protocol.ALIPAY);
                this.notifications.created(outTradeNo, now);
                return ok(PRECREATE, fields("out_trade_no", outTradeNo, "qr_code", qrCode(outTradeNo)));
            }
            catch (ResponseStatusException createdMeanwhile) {
                // created by a concurrent request: answered as a repeat below
            }
        }
        return repeatedPrecreate(appId, create);
    }

    /**
     * A precreate of a trade number that exists: the same trade still waiting for its buyer answers the same QR code
     * again; a paid or closed one, or one of other parameters (another app, amount or subject), is refused.
     */
    private Reply repeatedPrecreate(String appId, CreateTrade create) {
        String outTradeNo = create.outTradeNo();
        CreateTrade existing = this.trades.request(outTradeNo);
        if (this.trades.protocol(outTradeNo) != Protocol.ALIPAY || !existing.merchantId().equals(appId)
                || existing.amount() != create.amount() || !existing.subject().equals(create.subject())) {
            return fail(PRECREATE, "40004", "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改", fields("out_trade_no", outTradeNo));
        }
        Trade trade = this.trades.query(outTradeNo);
        return switch (trade.status()) {
            case WAIT_PAY -> ok(PRECREATE, fields("out_trade_no", outTradeNo, "qr_code", qrCode(outTradeNo)));
            case SUCCESS -> fail(PRECREATE, "40004", "ACQ.TRADE_HAS_SUCCESS", "交易已被支付", fields("out_trade_no", outTradeNo));
            case CLOSED -> fail(PRECREATE, "40004", "ACQ.TRADE_HAS_CLOSE", "交易已经关闭", fields("out_trade_no", outTradeNo));
        };
    }

    /**
     * {@code alipay.trade.query}. A trade refunded in full is {@code TRADE_CLOSED} at Alipay, with its payment
     * date still there ({@code send_pay_date}): what tells it from a trade closed unpaid.
     */
    private Reply query(String appId, JsonNode biz) throws InterruptedException {
        if (this.faults.failNext(Faults.Call.QUERY)) {
            return systemError(QUERY);
        }
        String outTradeNo = tradeOf(appId, biz);
        if (outTradeNo == null) {
            return tradeNotExist(QUERY, biz);
        }
        Trade trade = this.trades.query(outTradeNo);
        boolean paid = trade.paidAt() != null;
        if (!paid) {
            // a precreated trade is Alipay's only once a buyer scans its QR code, and the simulator's user scans and
            // pays at once: until then Alipay does not know it
            return tradeNotExist(QUERY, biz);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("trade_no", trade.tradeNo());
        fields.put("out_trade_no", outTradeNo);
        if (paid) {
            fields.put("buyer_logon_id", AlipayNotifications.BUYER_LOGON_ID);
            fields.put("buyer_user_id", AlipayNotifications.BUYER_USER_ID);
        }
        fields.put("trade_status", tradeStatus(trade));
        fields.put("total_amount", yuan(trade.amount()));
        fields.put("buyer_pay_amount", yuan(paid ? trade.captured() : 0));
        fields.put("point_amount", "0.00");
        fields.put("invoice_amount", yuan(paid ? trade.captured() : 0));
        fields.put("receipt_amount", yuan(paid ? trade.captured() : 0));
        if (trade.paidAt() != null) {
            fields.put("send_pay_date", time(trade.paidAt()));
        }
        return ok(QUERY, fields);
    }

    /**
     * {@code alipay.trade.close}: only a trade waiting for its buyer can be closed; a paid or closed one answers
     * {@code ACQ.TRADE_STATUS_ERROR}, an unknown one {@code ACQ.TRADE_NOT_EXIST}.
     */
    private Reply close(String appId, JsonNode biz) throws InterruptedException {
        if (this.faults.failNext(Faults.Call.CLOSE)) {
            return systemError(CLOSE);
        }
        String outTradeNo = tradeOf(appId, biz);
        if (outTradeNo == null) {
            return tradeNotExist(CLOSE, biz);
        }
        Trade trade = this.trades.query(outTradeNo);
        if (trade.paidAt() == null) {
            // not scanned yet: Alipay does not know it, so cannot close it (the QR code stays payable until it expires)
            return tradeNotExist(CLOSE, biz);
        }
        if (trade.status() != TradeStatus.WAIT_PAY
                || this.trades.close(outTradeNo).outcome() == CloseOutcome.ALREADY_PAID) {
            return fail(CLOSE, "40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法", fields("out_trade_no", outTradeNo));
        }
        return ok(CLOSE, fields("trade_no", trade.tradeNo(), "out_trade_no", outTradeNo));
    }

    /**
     * {@code alipay.trade.refund}, idempotent by {@code out_request_no} (the trade number when absent, as at Alipay):
     * the same request again answers {@code fund_change} N and refunds nothing; the same number with another amount
     * is refused ({@code ACQ.DISCORDANT_REPEAT_REQUEST}), as is more than what is left to refund.
     */
    private Reply refund(String appId, JsonNode biz) throws InterruptedException {
        if (this.faults.failNext(Faults.Call.REFUND)) {
            return systemError(REFUND);
        }
        if (this.faults.refuseNextRefund()) {
            return fail(REFUND, "40004", "ACQ.TRADE_NOT_ALLOW_REFUND", "当前交易不允许退款（injected）", Map.of());
        }
        String outTradeNo = tradeOf(appId, biz);
        if (outTradeNo == null) {
            return tradeNotExist(REFUND, biz);
        }
        Long amount = fen(text(biz, "refund_amount"));
        if (amount == null || amount <= 0) {
            return invalidParameter(REFUND, "refund_amount must be positive yuan with at most two decimals");
        }
        String requestNo = text(biz, "out_request_no");
        if (requestNo == null) {
            requestNo = outTradeNo;
        }
        if (requestNo.length() > 64) {
            return invalidParameter(REFUND, "out_request_no is at most 64 characters");
        }
        String reason = text(biz, "refund_reason");
        Refund existing = this.trades.findRefund(requestNo);
        boolean fundChange = existing == null;
        if (existing != null && (!existing.outTradeNo().equals(outTradeNo) || existing.amount() != amount)) {
            return fail(REFUND, "40004", "ACQ.DISCORDANT_REPEAT_REQUEST", "不一致的请求", fields("out_trade_no", outTradeNo));
        }
        if (existing == null) {
            Trade trade = this.trades.query(outTradeNo);
            if (trade.status() != TradeStatus.SUCCESS) {
                return fail(REFUND, "40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法", fields("out_trade_no", outTradeNo));
            }
            if (trade.captured() - trade.refunded() < amount) {
                return fail(REFUND, "40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限", fields("out_trade_no", outTradeNo));
            }
        }
        Refund refund;
        try {
            refund = this.trades.refund(new RefundRequest(appId, outTradeNo, requestNo, amount, reason != null ? reason : ""));
        }
        catch (ResponseStatusException refused) {
            // another refund of the trade took what was left meanwhile
            return fail(REFUND, "40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限", fields("out_trade_no", outTradeNo));
        }
        Trade trade = this.trades.query(outTradeNo);
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("trade_no", trade.tradeNo());
        fields.put("out_trade_no", outTradeNo);
        fields.put("buyer_logon_id", AlipayNotifications.BUYER_LOGON_ID);
        fields.put("fund_change", fundChange ? "Y" : "N");
        fields.put("refund_fee", yuan(trade.refunded()));
        fields.put("gmt_refund_pay", time(refund.refundedAt()));
        fields.put("buyer_user_id", AlipayNotifications.BUYER_USER_ID);
        return ok(REFUND, fields);
    }

    /**
     * {@code alipay.trade.fastpay.refund.query}: {@code refund_status} REFUND_SUCCESS for a refund made; a refund
     * number Alipay does not know answers success without a status (what Alipay answers for "not received").
     * {@code gmt_refund_pay} only when {@code query_options} asks for it, as at Alipay.
     */
    private Reply refundQuery(String appId, JsonNode biz) {
        String outTradeNo = tradeOf(appId, biz);
        if (outTradeNo == null) {
            return tradeNotExist(REFUND_QUERY, biz);
        }
        String requestNo = text(biz, "out_request_no");
        if (requestNo == null) {
            return invalidParameter(REFUND_QUERY, "out_request_no is required");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("trade_no", this.trades.tradeNo(outTradeNo));
        fields.put("out_trade_no", outTradeNo);
        fields.put("out_request_no", requestNo);
        Refund refund = this.trades.findRefund(requestNo);
        if (refund != null && refund.outTradeNo().equals(outTradeNo)) {
            fields.put("total_amount", yuan(this.trades.request(outTradeNo).amount()));
            fields.put("refund_amount", yuan(refund.amount()));
            fields.put("refund_status", "REFUND_SUCCESS");
            JsonNode options = biz.get("query_options");
            if (options != null && options.isArray()) {
                for (JsonNode option : options) {
                    if (option.isString() && "gmt_refund_pay".equals(option.asString())) {
                        fields.put("gmt_refund_pay", time(refund.refundedAt()));
                    }
                }
            }
        }
        return ok(REFUND_QUERY, fields);
    }

    /**
     * {@code alipay.data.dataservice.bill.downloadurl.query}: a link to the day's trade bill (业务账单), valid 30
     * seconds. Only daily {@code trade} bills are simulated; unlike Alipay's, any day's bill is served at once.
     */
    private Reply billLink(String appId, JsonNode biz, HttpServletRequest request) {
        String type = text(biz, "bill_type");
        String date = text(biz, "bill_date");
        if (type == null || date == null) {
            return invalidParameter(BILL, "bill_type and bill_date are required");
        }
        LocalDate day;
        try {
            day = LocalDate.parse(date, DateTimeFormatter.ISO_LOCAL_DATE);
        }
        catch (DateTimeParseException ex) {
            return fail(BILL, "40004", "isp.bill_not_exist", "账单不存在（只模拟了 yyyy-MM-dd 的日账单）", Map.of());
        }
        if (!"trade".equals(type)) {
            return fail(BILL, "40004", "isp.bill_not_exist", "账单不存在", Map.of());
        }
        // Alipay serves a day's bill from the next morning; the simulator serves any day's at once (a day not over
        // yet: its trades so far; a day to come: none), so that tests need not wait for a day to end
        AlipayProperties.App app = this.properties.app(appId);
        String account = (app != null ? app.sellerId() : appId) + "0156";
        Instant now = this.clock.instant();
        this.bills.values().removeIf(link -> now.isAfter(link.expiresAt()));
        String token = UUID.randomUUID().toString().replace("-", "");
        this.bills.put(token, new BillLink(appId, account, day, now.plus(BILL_LINK_VALIDITY)));
        String base = !blank(this.properties.billBaseUrl()) ? this.properties.billBaseUrl().replaceAll("/+$", "")
                : ServletUriComponentsBuilder.fromContextPath(request).build().toUriString();
        String url = base + "/alipay/bills/" + token + "?downloadFileName=" + fileName(account, day) + ".csv.zip";
        return ok(BILL, fields("bill_download_url", url));
    }

    /**
     * The bill as Alipay zips it: {@code <account>_<yyyyMMdd>_业务明细.csv} and its {@code (汇总)}, GBK CSV, entry
     * names in GBK too (no UTF-8 flag), as Alipay's are.
     */
    private byte[] billZip(String appId, String account, LocalDate day) {
        List<Trades.StatementLine> lines = this.trades.statementLines(appId, day);
        String name = fileName(account, day);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes, GBK)) {
            zip.putNextEntry(new ZipEntry(name + "_业务明细.csv"));
            zip.write(detail(account, day, lines).getBytes(GBK));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry(name + "_业务明细(汇总).csv"));
            zip.write(summary(account, day, lines).getBytes(GBK));
            zip.closeEntry();
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot zip the bill of " + day, ex);
        }
        return bytes.toByteArray();
    }

    /**
     * The 业务明细 file: {@code #} header lines, the column row, one row per capture (交易) and refund (退款, amounts
     * negative, with its {@code out_request_no}), the end line and the totals the rows must add up to. Cells Alipay
     * ends with a tab (so spreadsheets keep long numbers as text) end with one here too. The rows are the day's as
     * {@code gateway.statement-zone} cuts it (Alipay's: midnight in Beijing); their times are Beijing times, as
     * Alipay writes them, so they name the right instants whatever that zone is.
     */
    private String detail(String account, LocalDate day, List<Trades.StatementLine> lines) {
        StringBuilder csv = new StringBuilder();
        head(csv, "#支付宝业务明细查询", account, day, DETAIL_BEGIN);
        row(csv, DETAIL_COLUMNS);
        int payments = 0;
        int refunds = 0;
        long received = 0;
        long refunded = 0;
        for (Trades.StatementLine line : lines) {
            boolean payment = "PAYMENT".equals(line.type());
            if (payment) {
                payments++;
                received += line.amount();
            }
            else {
                refunds++;
                refunded += line.amount();
            }
            Instant created = this.notifications.createdAt(line.outTradeNo());
            String subject = cell(line.subject());
            String signed = yuan(payment ? line.amount() : -line.amount());
            row(csv, List.of(line.tradeNo() + "\t", line.outTradeNo() + "\t", (payment ? "交易" : "退款") + "\t", subject,
                    time(created != null ? created : line.time()), time(line.time()), "\t", "\t", "\t",
                    "\t", BUYER_IN_BILL + "\t", payment ? yuan(line.tradeAmount()) : signed, signed, "0.00", "0.00",
                    "0.00", "0.00", "0.00", "", "0.00\t", "0.00",
                    (line.refundNo() != null ? line.refundNo() : "") + "\t", "0.00", "0.00", subject));
        }
        csv.append(DETAIL_END).append("\r\n");
        csv.append("#交易合计：").append(payments).append("笔，商家实收共").append(yuan(received)).append("元，商家优惠共0.00元\r\n");
        csv.append("#退款合计：").append(refunds).append("笔，商家实收退款共").append(yuan(-refunded))
            .append("元，商家优惠退款共0.00元\r\n");
        csv.append("#导出时间：[").append(CN_TIME.format(this.clock.instant().atZone(ZONE))).append("]\r\n");
        return csv.toString();
    }

    /** The 业务明细(汇总) file: one 合计 line (no stores are simulated). */
    private String summary(String account, LocalDate day, List<Trades.StatementLine> lines) {
        StringBuilder csv = new StringBuilder();
        head(csv, "#支付宝业务汇总查询", account, day, SUMMARY_BEGIN);
        row(csv, SUMMARY_COLUMNS);
        int payments = 0;
        int refunds = 0;
        long ordered = 0;
        long net = 0;
        for (Trades.StatementLine line : lines) {
            if ("PAYMENT".equals(line.type())) {
                payments++;
                ordered += line.tradeAmount();
                net += line.amount();
            }
            else {
                refunds++;
                ordered -= line.amount();
                net -= line.amount();
            }
        }
        row(csv, List.of("合计", "", Integer.toString(payments), Integer.toString(refunds), yuan(ordered), yuan(net), "0.00",
                "0.00", "0.00", "0.00", "0.00", yuan(net)));
        csv.append(SUMMARY_END).append("\r\n");
        csv.append("#导出时间：[").append(CN_TIME.format(this.clock.instant().atZone(ZONE))).append("]\r\n");
        return csv.toString();
    }

    private static void head(StringBuilder csv, String title, String account, LocalDate day, String begin) {
        csv.append(title).append("\r\n");
        csv.append("#账号：[").append(account).append("]\r\n");
        csv.append("#起始日期：[").append(CN_DAY.format(day)).append(" 00:00:00]   终止日期：[")
            .append(CN_DAY.format(day.plusDays(1))).append(" 00:00:00]\r\n");
        csv.append(begin).append("\r\n");
    }

    private static void row(StringBuilder csv, List<String> cells) {
        csv.append(String.join(",", cells)).append("\r\n");
    }

    /** A free-text cell: Alipay's bills are not quoted, so what would break a row is replaced. */
    private static String cell(String text) {
        return text.replace(',', '，').replace('"', '＂').replace('\r', ' ').replace('\n', ' ');
    }

    /** The bill's file name without extension: {@code <account>_<yyyyMMdd>}. */
    private static String fileName(String account, LocalDate day) {
        return account + "_" + day.format(DateTimeFormatter.BASIC_ISO_DATE);
    }

    /**
     * The trade an API call names, when it is this app's and spoken to in Alipay's protocol: by {@code out_trade_no},
     * or by {@code trade_no} alone. {@code null} when there is none (Alipay's {@code ACQ.TRADE_NOT_EXIST}).
     */
    private @Nullable String tradeOf(String appId, JsonNode biz) {
        String outTradeNo = text(biz, "out_trade_no");
        if (outTradeNo == null) {
            String tradeNo = text(biz, "trade_no");
            if (tradeNo == null) {
                return null;
            }
            for (LedgerEntry entry : this.trades.ledger()) {
                if (entry.tradeNo().equals(tradeNo)) {
                    outTradeNo = entry.outTradeNo();
                    break;
                }
            }
            if (outTradeNo == null) {
                return null;
            }
        }
        if (!this.trades.exists(outTradeNo) || this.trades.protocol(outTradeNo) != Protocol.ALIPAY
                || !this.trades.request(outTradeNo).merchantId().equals(appId)) {
            return null;
        }
        return outTradeNo;
    }

    /** Alipay's status of a trade: a paid trade refunded in full is closed. */
    private static String tradeStatus(Trade trade) {
        return switch (trade.status()) {
            case WAIT_PAY -> "WAIT_BUYER_PAY";
            case CLOSED -> "TRADE_CLOSED";
            case SUCCESS -> trade.captured() > 0 && trade.refunded() >= trade.captured() ? "TRADE_CLOSED" : "TRADE_SUCCESS";
        };
    }

    /** The QR code's content: the same for every precreate of the trade. */
    private String qrCode(String outTradeNo) {
        String tradeNo = this.trades.tradeNo(outTradeNo);
        return "https://qr.alipay.com/bax" + tradeNo.substring(Math.max(0, tradeNo.length() - 16));
    }

    private Reply tradeNotExist(String method, JsonNode biz) {
        String outTradeNo = text(biz, "out_trade_no");
        return fail(method, "40004", "ACQ.TRADE_NOT_EXIST", "交易不存在",
                outTradeNo != null ? fields("out_trade_no", outTradeNo) : Map.of());
    }

    private static Reply invalidParameter(String method, String detail) {
        return fail(method, "40004", "ACQ.INVALID_PARAMETER", "参数无效: " + detail, Map.of());
    }

    /** What the faults inject: Alipay's answer when it fails (HTTP 200 all the same). */
    private static Reply systemError(String method) {
        return fail(method, "20000", "isp.unknow-error", "系统繁忙", Map.of());
    }

    private static Reply ok(String method, Map<String, String> fields) {
        Map<String, String> node = new LinkedHashMap<>();
        node.put("code", "10000");
        node.put("msg", "Success");
        node.putAll(fields);
        return new Reply(root(method), node);
    }

    private static Reply fail(@Nullable String method, String code, String subCode, String subMsg,
            Map<String, String> fields) {
        Map<String, String> node = new LinkedHashMap<>();
        node.put("code", code);
        node.put("msg", switch (code) {
            case "20000" -> "Service Currently Unavailable";
            case "40001" -> "Missing Required Arguments";
            case "40002" -> "Invalid Arguments";
            case "40004" -> "Business Failed";
            default -> "Failed";
        });
        node.put("sub_code", subCode);
        node.put("sub_msg", subMsg);
        node.putAll(fields);
        return new Reply(root(method), node);
    }

    /** The answer's root node: {@code <method with _>_response}, or {@code error_response} without a known method. */
    private static String root(@Nullable String method) {
        return method != null && METHODS.contains(method) ? method.replace('.', '_') + "_response" : "error_response";
    }

    /** The answer, signed over the node's text exactly as it is written in the body (what the SDK verifies). */
    private ResponseEntity<byte[]> answer(Reply reply) {
        String node = this.json.writeValueAsString(reply.node());
        String sign = Signatures.sign(node, this.privateKey);
        String body = "{\"" + reply.root() + "\":" + node + ",\"sign\":\"" + sign + "\"}";
        return ResponseEntity.ok()
            .contentType(MediaType.parseMediaType("application/json;charset=utf-8"))
            .body(body.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> fields(String... namesAndValues) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            fields.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return fields;
    }

    /**
     * The text Alipay signs: the parameters sorted by name, those {@code excluded} and the empty ones left out, as
     * {@code name=value&...} (values as they are, not URL-encoded).
     */
    static String signContent(Map<String, String> params, Set<String> excluded) {
        StringJoiner content = new StringJoiner("&");
        new TreeMap<>(params).forEach((name, value) -> {
            if (!excluded.contains(name) && value != null && !value.isEmpty()) {
                content.add(name + "=" + value);
            }
        });
        return content.toString();
    }

    /** Fen as Alipay's yuan ({@code 1234} is {@code "12.34"}). */
    static String yuan(long fen) {
        return BigDecimal.valueOf(fen, 2).toPlainString();
    }

    /** Alipay's yuan as fen, or {@code null} when it is not a plain amount of at most two decimals. */
    static @Nullable Long fen(@Nullable String yuan) {
        if (yuan == null || !YUAN.matcher(yuan).matches()) {
            return null;
        }
        return new BigDecimal(yuan).movePointRight(2).longValueExact();
    }

    /** The instant as Alipay writes times: Beijing wall-clock time. */
    static String time(Instant instant) {
        return TIME.format(instant.atZone(ZONE));
    }

    /** A {@code timeout_express} as a duration, or {@code null} when it is not one. */
    private static @Nullable Duration timeoutExpress(String text) {
        Matcher matcher = TIMEOUT_EXPRESS.matcher(text);
        if (!matcher.matches()) {
            return null;
        }
        long count = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2)) {
            case "m" -> Duration.ofMinutes(count);
            case "h" -> Duration.ofHours(count);
            default -> Duration.ofDays(count);
        };
    }

    /** A string (or number) field of {@code biz_content}, {@code null} when absent or empty. */
    private static @Nullable String text(JsonNode biz, String field) {
        JsonNode value = biz.get(field);
        if (value == null || !(value.isString() || value.isNumber())) {
            return null;
        }
        String text = value.asString();
        return text.isEmpty() ? null : text;
    }

    private static boolean blank(@Nullable String text) {
        return text == null || text.isBlank();
    }

    /** An answer: its root node's name and the node's fields, in order. */
    private record Reply(String root, Map<String, String> node) {
    }

    /** A bill download link: whose bill, of which day, until when. */
    private record BillLink(String appId, String account, LocalDate day, Instant expiresAt) {
    }
}
