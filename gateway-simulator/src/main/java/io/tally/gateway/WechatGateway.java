package io.tally.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.io.Resource;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

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
 * The simulator as WeChat Pay API v3 ({@code /v3/...}), faithful enough for WeChat Pay's official SDK to run
 * against it unchanged (its requests rewritten from {@code https://api.mch.weixin.qq.com} to the simulator): Native
 * prepay, query and close by {@code out_trade_no}, domestic refunds and their query, the trade bill and its
 * download. The trades are the simulator's ({@link Trades}, {@link Protocol#WECHAT}), so the user's pay action,
 * the ledger and the faults of {@code /gateway/...} apply to them.
 * <p>
 * Every request must carry {@code Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,signature=..,
 * timestamp=..,serial_no=..}: a signature with the merchant's API key over {@code METHOD\nPATH?QUERY\nTIMESTAMP\n
 * NONCE\nBODY\n}, under the serial number of the merchant's certificate, within 5 minutes; otherwise 401
 * {@code SIGN_ERROR}. Every answer, errors and empty ones too, is signed as WeChat Pay signs: {@code
 * Wechatpay-Timestamp}, {@code -Nonce}, {@code -Signature} (over {@code TIMESTAMP\nNONCE\nBODY\n}) and {@code
 * -Serial} (the public key's id), with a {@code Request-ID}; errors are {@code {"code":..,"message":..}}. The bill's
 * download alone is not signed: the SDK checks it against the digest the signed bill answer gave.
 */
@RestController
class WechatGateway {

    private static final Logger log = LoggerFactory.getLogger(WechatGateway.class);

    /** WeChat Pay's address, as the SDK names it; the bills' download URLs name it too. */
    static final String API = "https://api.mch.weixin.qq.com";

    /** WeChat Pay's time zone: the offset of its RFC 3339 times and the zone of its bills' times. */
    static final ZoneId BEIJING = ZoneId.of("Asia/Shanghai");

    /** The trade bill's detail header (an {@code ALL} bill), as WeChat Pay writes it. */
    static final String BILL_HEADER = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
            + "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,"
            + "商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";

    /** The trade bill's summary header. */
    static final String BILL_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

    private static final DateTimeFormatter BILL_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(BEIJING);

    private static final DateTimeFormatter REFUND_DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(BEIJING);

    private static final String SCHEMA = "WECHATPAY2-SHA256-RSA2048";

    private static final Pattern AUTHORIZATION_FIELD = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    /** How far a request's timestamp may be from the simulator's clock, as at WeChat Pay. */
    private static final Duration MAX_SKEW = Duration.ofMinutes(5);

    /** How long a bill's download URL works, as at WeChat Pay. */
    private static final Duration DOWNLOAD_VALIDITY = Duration.ofSeconds(30);

    /** How long a Native code is payable when the merchant gives no {@code time_expire}. */
    private static final Duration DEFAULT_VALIDITY = Duration.ofHours(2);

    /** The fee rate the bills state (0.60%, WeChat Pay's common rate for Native payments). */
    private static final BigDecimal FEE_RATE = new BigDecimal("0.006");

    private final Trades trades;

    private final Faults faults;

    private final Wire wire;

    private final JsonMapper json;

    private final Clock clock;

    private final boolean refundsProcessing;

    /** WeChat Pay's own number of each refund, by our refund number. */
    private final Map<String, String> refundIds = new ConcurrentHashMap<>();

    private final AtomicLong refundSequence = new AtomicLong();

    /** The refunds answered once ({@code PROCESSING} when refunds are processed asynchronously). */
    private final Set<String> refundsAnswered = ConcurrentHashMap.newKeySet();

    /** The bills ready for download, by download token. */
    private final Map<String, Bill> bills = new ConcurrentHashMap<>();

    WechatGateway(Trades trades, Faults faults, Wire wire, JsonMapper json, Clock clock, WechatProperties properties) {
        this.trades = trades;
        this.faults = faults;
        this.wire = wire;
        this.json = json;
        this.clock = clock;
        this.refundsProcessing = properties.refundsProcessing();
    }

    /**
     * Native prepay: opens the trade (once per {@code out_trade_no}; the same order again answers the same
     * {@code code_url}) and answers the code the user scans. An order paid or closed already is refused as WeChat
     * Pay refuses it ({@code ORDERPAID}, {@code ORDER_CLOSED}); another order under a used number too.
     */
    @PostMapping("/v3/pay/transactions/native")
    ResponseEntity<byte[]> prepay(HttpServletRequest request, @RequestBody(required = false) @Nullable String body) {
        return answer(request, body, (merchant, text) -> {
            JsonNode order = object(text);
            sameMerchant(merchant, string(order, "mchid", 32));
            if (!string(order, "appid", 32).equals(merchant.appid())) {
                throw new WechatError(HttpStatus.BAD_REQUEST, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配");
            }
            String description = string(order, "description", 127);
            String outTradeNo = string(order, "out_trade_no", 32);
            String notifyUrl = string(order, "notify_url", 256);
            JsonNode amount = order.get("amount");
            long total = positive(amount, "amount.total", "total");
            String currency = optionalString(amount, "currency", 16);
            String timeExpire = optionalString(order, "time_expire", 64);
            Instant expireAt;
            if (timeExpire != null) {
                expireAt = rfc3339(timeExpire, "time_expire");
            }
            else {
                // the default validity counts from the first prepay, so that the same order again is the same
                expireAt = this.trades.exists(outTradeNo) ? this.trades.request(outTradeNo).expireAt()
                        : this.clock.instant().plus(DEFAULT_VALIDITY);
            }
            this.faults.beforeCreate();
            if (this.trades.exists(outTradeNo) && this.trades.protocol(outTradeNo) != Protocol.WECHAT) {
                throw usedOutTradeNo();
            }
            Trade trade;
            try {
                this.trades.create(new CreateTrade(merchant.mchid(), outTradeNo, total,
                        currency != null ? currency : "CNY", expireAt, notifyUrl, description), Protocol.WECHAT);
                // as it is now: one past its time_expire is closed
                trade = this.trades.query(outTradeNo);
            }
            catch (ResponseStatusException ex) {
                if (ex.getStatusCode().value() == HttpStatus.CONFLICT.value()) {
                    throw usedOutTradeNo();
                }
                throw ex;
            }
            if (trade.status() == TradeStatus.SUCCESS) {
                throw new WechatError(HttpStatus.BAD_REQUEST, "ORDERPAID", "该订单已支付");
            }
            if (trade.status() == TradeStatus.CLOSED) {
                throw new WechatError(HttpStatus.BAD_REQUEST, "ORDER_CLOSED", "该订单已关闭");
            }
            return this.wire.signed(HttpStatus.OK, Map.of("code_url", codeUrl(merchant.mchid(), outTradeNo)));
        });
    }

    /** The trade by {@code out_trade_no}: one of the merchant's, or 404 {@code ORDER_NOT_EXIST}. */
    @GetMapping("/v3/pay/transactions/out-trade-no/{outTradeNo}")
    ResponseEntity<byte[]> query(HttpServletRequest request, @PathVariable String outTradeNo,
            @RequestParam(required = false) @Nullable String mchid) {
        return answer(request, null, (merchant, text) -> {
            sameMerchant(merchant, mchid);
            if (this.faults.failNext(Faults.Call.QUERY)) {
                throw systemError();
            }
            if (!ours(merchant, outTradeNo)) {
                throw new WechatError(HttpStatus.NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在");
            }
            Trade trade = this.trades.query(outTradeNo);
            return this.wire.signed(HttpStatus.OK,
                    this.wire.transaction(trade, this.trades.request(outTradeNo), merchant.appid(), trade.amount()));
        });
    }

    /** Closes the trade: 204, or 400 {@code ORDERPAID} when it is paid; 404 {@code ORDER_NOT_EXIST} when unknown. */
    @PostMapping("/v3/pay/transactions/out-trade-no/{outTradeNo}/close")
    ResponseEntity<byte[]> close(HttpServletRequest request, @PathVariable String outTradeNo,
            @RequestBody(required = false) @Nullable String body) {
        return answer(request, body, (merchant, text) -> {
            sameMerchant(merchant, string(object(text), "mchid", 32));
            if (this.faults.failNext(Faults.Call.CLOSE)) {
                throw systemError();
            }
            if (!ours(merchant, outTradeNo)) {
                throw new WechatError(HttpStatus.NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在");
            }
            if (this.trades.close(outTradeNo).outcome() == CloseOutcome.ALREADY_PAID) {
                throw new WechatError(HttpStatus.BAD_REQUEST, "ORDERPAID", "订单已支付");
            }
            return this.wire.signedText(HttpStatus.NO_CONTENT, "");
        });
    }

    /**
     * A domestic refund, once per {@code out_refund_no} (asked again, the same refund is answered). The merchant is
     * the signer ({@code mchid} is not in the body); the trade is named by {@code out_trade_no} or
     * {@code transaction_id}; {@code amount.total} must be the trade's. With {@code refunds-processing}, the first
     * answer is {@code PROCESSING} and every later one {@code SUCCESS}.
     */
    @PostMapping("/v3/refund/domestic/refunds")
    ResponseEntity<byte[]> refund(HttpServletRequest request, @RequestBody(required = false) @Nullable String body) {
        return answer(request, body, (merchant, text) -> {
            JsonNode refund = object(text);
            if (this.faults.failNext(Faults.Call.REFUND)) {
                throw systemError();
            }
            if (this.faults.refuseNextRefund()) {
                // as WeChat Pay refuses a refund it will never make (retrying the same cannot help)
                throw new WechatError(HttpStatus.BAD_REQUEST, "INVALID_REQUEST", "退款请求被拒绝 (injected)");
            }
            String outRefundNo = string(refund, "out_refund_no", 64);
            String reason = optionalString(refund, "reason", 80);
            JsonNode amount = refund.get("amount");
            long refundAmount = positive(amount, "amount.refund", "refund");
            long total = positive(amount, "amount.total", "total");
            String currency = string(amount, "currency", 16);
            String outTradeNo = optionalString(refund, "out_trade_no", 32);
            if (outTradeNo == null) {
                String transactionId = optionalString(refund, "transaction_id", 32);
                if (transactionId == null) {
                    throw paramError("out_trade_no 和 transaction_id 必须填其一");
                }
                outTradeNo = byTransactionId(transactionId);
            }
            if (outTradeNo == null || !ours(merchant, outTradeNo)) {
                throw new WechatError(HttpStatus.NOT_FOUND, "RESOURCE_NOT_EXISTS", "订单不存在");
            }
            CreateTrade trade = this.trades.request(outTradeNo);
            if (total != trade.amount() || !currency.equals(trade.currency())) {
                throw new WechatError(HttpStatus.BAD_REQUEST, "INVALID_REQUEST",
                        "订单金额或币种与原订单不一致 (amount.total " + total + " " + currency + ", the trade's "
                                + trade.amount() + " " + trade.currency() + ")");
            }
            Refund done = this.trades.refund(new RefundRequest(merchant.mchid(), outTradeNo, outRefundNo, refundAmount,
                    reason != null ? reason : ""));
            return this.wire.signed(HttpStatus.OK, refundView(done, processingAnswer(outRefundNo)));
        });
    }

    /** The refund by {@code out_refund_no}: one of the merchant's, or 404 {@code RESOURCE_NOT_EXISTS}. */
    @GetMapping("/v3/refund/domestic/refunds/{outRefundNo}")
    ResponseEntity<byte[]> refundQuery(HttpServletRequest request, @PathVariable String outRefundNo) {
        return answer(request, null, (merchant, text) -> {
            Refund refund = this.trades.findRefund(outRefundNo);
            if (refund == null || !ours(merchant, refund.outTradeNo())) {
                throw new WechatError(HttpStatus.NOT_FOUND, "RESOURCE_NOT_EXISTS", "退款单不存在");
            }
            return this.wire.signed(HttpStatus.OK, refundView(refund, processingAnswer(outRefundNo)));
        });
    }

    /**
     * The trade bill of a day: its SHA1 and a download URL valid for 30 seconds. The day is cut at midnight of
     * {@code gateway.statement-zone} (WeChat Pay cuts at midnight Beijing time); a day without trades has no bill
     * (400 {@code NO_STATEMENT_EXIST}). With {@code tar_type=GZIP} the download is compressed; the digest is of the
     * bill itself.
     */
    @GetMapping("/v3/bill/tradebill")
    ResponseEntity<byte[]> tradeBill(HttpServletRequest request,
            @RequestParam(name = "bill_date", required = false) @Nullable String billDate,
            @RequestParam(name = "bill_type", required = false) @Nullable String billType,
            @RequestParam(name = "tar_type", required = false) @Nullable String tarType) {
        return answer(request, null, (merchant, text) -> {
            LocalDate day;
            try {
                day = LocalDate.parse(billDate != null ? billDate : "");
            }
            catch (DateTimeParseException ex) {
                throw paramError("bill_date 格式应为 yyyy-MM-dd");
            }
            String type = billType != null ? billType : "ALL";
            if (!List.of("ALL", "SUCCESS", "REFUND").contains(type)) {
                throw paramError("bill_type 应为 ALL、SUCCESS 或 REFUND");
            }
            if (tarType != null && !tarType.equals("GZIP")) {
                throw paramError("tar_type 应为 GZIP");
            }
            List<Trades.StatementLine> lines = new ArrayList<>();
            for (Trades.StatementLine line : this.trades.statementLines(merchant.mchid(), day)) {
                boolean payment = "PAYMENT".equals(line.type());
                if (this.trades.protocol(line.outTradeNo()) == Protocol.WECHAT
                        && (type.equals("ALL") || type.equals("SUCCESS") == payment)) {
                    lines.add(line);
                }
            }
            if (lines.isEmpty()) {
                throw new WechatError(HttpStatus.BAD_REQUEST, "NO_STATEMENT_EXIST", "账单文件不存在");
            }
            byte[] content = bill(merchant, lines).getBytes(StandardCharsets.UTF_8);
            Instant now = this.clock.instant();
            this.bills.values().removeIf(bill -> bill.expired(now));
            String token = this.wire.nonce(64);
            this.bills.put(token, new Bill(merchant.mchid(), tarType != null ? gzip(content) : content, tarType != null,
                    now.plus(DOWNLOAD_VALIDITY)));
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("hash_type", "SHA1");
            answer.put("hash_value", HexFormat.of().formatHex(digest("SHA-1", content)));
            answer.put("download_url", API + "/v3/billdownload/file?token=" + token);
            return this.wire.signed(HttpStatus.OK, answer);
        });
    }

    /** A bill's download: the merchant's own, signed for like any request, answered unsigned (as WeChat Pay does). */
    @GetMapping("/v3/billdownload/file")
    ResponseEntity<byte[]> download(HttpServletRequest request, @RequestParam(required = false) @Nullable String token) {
        return answer(request, null, (merchant, text) -> {
            Bill bill = token != null ? this.bills.get(token) : null;
            if (bill == null || bill.expired(this.clock.instant()) || !bill.mchid().equals(merchant.mchid())) {
                throw new WechatError(HttpStatus.BAD_REQUEST, "INVALID_REQUEST", "下载链接无效或已过期");
            }
            return ResponseEntity.ok()
                .header("Request-ID", this.wire.requestId())
                .contentType(bill.gzip() ? MediaType.parseMediaType("application/x-gzip")
                        : new MediaType("text", "plain", StandardCharsets.UTF_8))
                .body(bill.content());
        });
    }

    /**
     * Authenticates the request, then answers it with {@code handler}; every refusal is answered as WeChat Pay
     * answers one, signed.
     */
    private ResponseEntity<byte[]> answer(HttpServletRequest request, @Nullable String body, Handler handler) {
        String text = body != null ? body : "";
        try {
            return handler.handle(authenticate(request, text), text);
        }
        catch (WechatError error) {
            if (error.status == HttpStatus.UNAUTHORIZED) {
                log.warn("Refused a WeChat Pay request {} {}: {}", request.getMethod(), request.getRequestURI(),
                        error.getMessage());
            }
            return this.wire.error(error.status, error.code, error.getMessage());
        }
        catch (ResponseStatusException ex) {
            String reason = ex.getReason() != null ? ex.getReason() : ex.getMessage();
            int status = ex.getStatusCode().value();
            if (status == HttpStatus.NOT_FOUND.value()) {
                return this.wire.error(HttpStatus.NOT_FOUND, "RESOURCE_NOT_EXISTS", reason);
            }
            if (status == HttpStatus.BAD_REQUEST.value()) {
                return this.wire.error(HttpStatus.BAD_REQUEST, "PARAM_ERROR", reason);
            }
            if (status == HttpStatus.CONFLICT.value()) {
                return this.wire.error(HttpStatus.BAD_REQUEST, "INVALID_REQUEST", reason);
            }
            return this.wire.error(HttpStatus.INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", reason);
        }
        catch (JacksonException ex) {
            return this.wire.error(HttpStatus.BAD_REQUEST, "PARAM_ERROR", "请求体不是合法的JSON: " + ex.getOriginalMessage());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return this.wire.error(HttpStatus.INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", "系统错误");
        }
    }

    /**
     * The signing merchant, when the request's {@code Authorization} is valid: a known merchant, its certificate's
     * serial number, a timestamp within 5 minutes, and its API key's signature over the request.
     */
    private Wire.Merchant authenticate(HttpServletRequest request, String body) {
        String authorization = request.getHeader("Authorization");
        if (authorization == null || !authorization.startsWith(SCHEMA + " ")) {
            throw signError("Http头Authorization值格式错误 (not " + SCHEMA + ")");
        }
        Map<String, String> fields = new HashMap<>();
        Matcher matcher = AUTHORIZATION_FIELD.matcher(authorization.substring(SCHEMA.length() + 1));
        while (matcher.find()) {
            fields.putIfAbsent(matcher.group(1), matcher.group(2));
        }
        String mchid = fields.get("mchid");
        String nonce = fields.get("nonce_str");
        String timestamp = fields.get("timestamp");
        String serialNo = fields.get("serial_no");
        String signature = fields.get("signature");
        if (mchid == null || nonce == null || timestamp == null || serialNo == null || signature == null) {
            throw signError("Http头Authorization值格式错误 (mchid, nonce_str, timestamp, serial_no and signature are "
                    + "required)");
        }
        Wire.Merchant merchant = this.wire.merchant(mchid);
        if (merchant == null || merchant.publicKey() == null || merchant.serialNo() == null) {
            throw signError("商户号 " + mchid + " 不存在或未配置API证书");
        }
        if (!merchant.serialNo().equals(serialNo)) {
            throw signError("商户证书序列号有误 (serial_no " + serialNo + " is not the merchant's certificate)");
        }
        String stale = Signatures.staleness(timestamp, this.clock.instant(), MAX_SKEW);
        if (stale != null) {
            throw signError("时间戳已过期 (" + stale + ")");
        }
        String query = request.getQueryString();
        String url = request.getRequestURI() + (query != null ? "?" + query : "");
        if (!Signatures.verify(Signatures.requestText(request.getMethod(), url, timestamp, nonce, body), signature,
                merchant.publicKey())) {
            throw signError("签名错误");
        }
        return merchant;
    }

    /** The refund as WeChat Pay answers it; {@code processing}: as still being processed. */
    private Map<String, Object> refundView(Refund refund, boolean processing) {
        CreateTrade trade = this.trades.request(refund.outTradeNo());
        Map<String, Object> amount = new LinkedHashMap<>();
        amount.put("total", trade.amount());
        amount.put("refund", refund.amount());
        amount.put("from", List.of());
        amount.put("payer_total", trade.amount());
        amount.put("payer_refund", refund.amount());
        amount.put("settlement_refund", refund.amount());
        amount.put("settlement_total", trade.amount());
        amount.put("discount_refund", 0);
        amount.put("currency", trade.currency());
        amount.put("refund_fee", 0);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("refund_id", refundId(refund.refundNo(), refund.refundedAt()));
        view.put("out_refund_no", refund.refundNo());
        view.put("transaction_id", this.trades.tradeNo(refund.outTradeNo()));
        view.put("out_trade_no", refund.outTradeNo());
        view.put("channel", "ORIGINAL");
        view.put("user_received_account", "支付用户零钱");
        if (!processing) {
            view.put("success_time", Wire.time(refund.refundedAt()));
        }
        view.put("create_time", Wire.time(refund.refundedAt()));
        view.put("status", processing ? "PROCESSING" : "SUCCESS");
        view.put("funds_account", "AVAILABLE");
        view.put("amount", amount);
        view.put("promotion_detail", List.of());
        return view;
    }

    /** Whether this answer about the refund says {@code PROCESSING}: only its first, and only when so configured. */
    private boolean processingAnswer(String outRefundNo) {
        return this.refundsProcessing && this.refundsAnswered.add(outRefundNo);
    }

    /** WeChat Pay's number of a refund: 29 digits, starting {@code 503} and the refund's day. */
    private String refundId(String outRefundNo, Instant refundedAt) {
        return this.refundIds.computeIfAbsent(outRefundNo, no -> "503" + REFUND_DAY.format(refundedAt)
                + String.format("%018d", this.refundSequence.incrementAndGet()));
    }

    /**
     * The trade bill as WeChat Pay writes it: a BOM, the header, a row per payment and per refund (every value
     * after a backtick, amounts in yuan, times in Beijing time), then the summary header and its row.
     */
    private String bill(Wire.Merchant merchant, List<Trades.StatementLine> lines) {
        StringBuilder csv = new StringBuilder("\uFEFF").append(BILL_HEADER).append("\r\n");
        long settled = 0;
        long refunded = 0;
        long fees = 0;
        long ordered = 0;
        long requested = 0;
        for (Trades.StatementLine line : lines) {
            boolean payment = "PAYMENT".equals(line.type());
            long fee = payment ? fee(line.amount()) : -fee(line.amount());
            String refundNo = line.refundNo() != null ? line.refundNo() : "";
            List<String> values = List.of(BILL_TIME.format(line.time()), merchant.appid(), merchant.mchid(), "0", "",
                    line.tradeNo(), line.outTradeNo(), Wire.openid(line.tradeNo()), "NATIVE",
                    payment ? "SUCCESS" : "REFUND", "OTHERS", line.currency(), payment ? yuan(line.amount()) : "0.00",
                    "0.00", payment ? "0" : refundId(refundNo, line.time()), payment ? "0" : refundNo,
                    payment ? "0.00" : yuan(line.amount()), "0.00", payment ? "" : "ORIGINAL", payment ? "" : "SUCCESS",
                    line.subject().replaceAll("[`\\r\\n]", " "), "", fee5(fee), "0.60%",
                    payment ? yuan(line.amount()) : "0.00", payment ? "0.00" : yuan(line.amount()), "");
            csv.append('`').append(String.join(",`", values)).append("\r\n");
            if (payment) {
                settled += line.amount();
                ordered += line.amount();
            }
            else {
                refunded += line.amount();
                requested += line.amount();
            }
            fees += fee;
        }
        csv.append(BILL_SUMMARY).append("\r\n");
        csv.append('`').append(String.join(",`", List.of(Integer.toString(lines.size()), yuan(settled), yuan(refunded),
                "0.00", fee5(fees), yuan(ordered), yuan(requested)))).append("\r\n");
        return csv.toString();
    }

    /** The fee of an amount at the bills' rate, in fen, rounded half up. */
    private static long fee(long amount) {
        return BigDecimal.valueOf(amount).multiply(FEE_RATE).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** Fen as yuan with two decimals. */
    static String yuan(long fen) {
        return BigDecimal.valueOf(fen, 2).toPlainString();
    }

    /** A fee in fen as the bills write fees: yuan with five decimals. */
    private static String fee5(long fen) {
        return BigDecimal.valueOf(fen, 2).setScale(5, RoundingMode.UNNECESSARY).toPlainString();
    }

    private static byte[] gzip(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(content);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    static byte[] digest(String algorithm, byte[] content) {
        try {
            return MessageDigest.getInstance(algorithm).digest(content);
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException(algorithm + " is not available", ex);
        }
    }

    /** The code a user scans to pay the trade: WeChat Pay's Native {@code code_url}, the same for the same order. */
    private static String codeUrl(String mchid, String outTradeNo) {
        byte[] hash = digest("SHA-256", (mchid + ":" + outTradeNo).getBytes(StandardCharsets.UTF_8));
        return "weixin://wxpay/bizpayurl?pr=" + Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 9);
    }

    /** Whether the trade is the merchant's and spoken to in WeChat Pay's protocol. */
    private boolean ours(Wire.Merchant merchant, String outTradeNo) {
        return this.trades.exists(outTradeNo) && this.trades.protocol(outTradeNo) == Protocol.WECHAT
                && this.trades.request(outTradeNo).merchantId().equals(merchant.mchid());
    }

    /** The trade of WeChat Pay's number, or {@code null}. */
    private @Nullable String byTransactionId(String transactionId) {
        for (LedgerEntry entry : this.trades.ledger()) {
            if (entry.tradeNo().equals(transactionId)) {
                return entry.outTradeNo();
            }
        }
        return null;
    }

    private static void sameMerchant(Wire.Merchant merchant, @Nullable String mchid) {
        if (mchid == null || !mchid.equals(merchant.mchid())) {
            throw new WechatError(HttpStatus.BAD_REQUEST, "INVALID_REQUEST",
                    "mchid " + mchid + " 与发起请求的商户号 " + merchant.mchid() + " 不一致");
        }
    }

    /** The request's body as a JSON object (an unreadable one throws {@link JacksonException}). */
    private JsonNode object(String text) {
        if (text.isBlank()) {
            throw paramError("请求体不能为空");
        }
        JsonNode node = this.json.readTree(text);
        if (node == null || !node.isObject()) {
            throw paramError("请求体应为JSON对象");
        }
        return node;
    }

    /** A required string field of at most {@code max} characters. */
    private static String string(@Nullable JsonNode node, String field, int max) {
        String value = optionalString(node, field, max);
        if (value == null) {
            throw paramError("输入源“/body/" + field + "”映射到值字段必填性规则校验失败，此字段为必填项");
        }
        return value;
    }

    /** An optional string field of at most {@code max} characters; {@code null} when absent or blank. */
    private static @Nullable String optionalString(@Nullable JsonNode node, String field, int max) {
        JsonNode value = node != null ? node.get(field) : null;
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isString() || value.asString().length() > max) {
            throw paramError(field + " 应为不超过 " + max + " 个字符的字符串");
        }
        return value.asString().isBlank() ? null : value.asString();
    }

    /** A required positive integer field of an object ({@code name} as the error names it). */
    private static long positive(@Nullable JsonNode node, String name, String field) {
        JsonNode value = node != null && node.isObject() ? node.get(field) : null;
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() <= 0) {
            throw paramError(name + " 应为正整数（单位：分）");
        }
        return value.longValue();
    }

    private static Instant rfc3339(String value, String field) {
        try {
            return OffsetDateTime.parse(value).toInstant();
        }
        catch (DateTimeParseException ex) {
            throw paramError(field + " 应为 RFC 3339 格式，如 2018-06-08T10:34:56+08:00");
        }
    }

    private static WechatError paramError(String message) {
        return new WechatError(HttpStatus.BAD_REQUEST, "PARAM_ERROR", message);
    }

    private static WechatError signError(String message) {
        return new WechatError(HttpStatus.UNAUTHORIZED, "SIGN_ERROR", message);
    }

    private static WechatError systemError() {
        return new WechatError(HttpStatus.INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", "系统错误 (injected)");
    }

    private static WechatError usedOutTradeNo() {
        return new WechatError(HttpStatus.BAD_REQUEST, "OUT_TRADE_NO_USED", "商户订单号重复");
    }

    /** What answers an authenticated request. */
    @FunctionalInterface
    private interface Handler {

        ResponseEntity<byte[]> handle(Wire.Merchant merchant, String body) throws InterruptedException;
    }

    /** A refusal, answered as WeChat Pay answers it: the status, and {@code {"code":..,"message":..}}. */
    private static final class WechatError extends RuntimeException {

        private final HttpStatus status;

        private final String code;

        WechatError(HttpStatus status, String code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }
    }

    /** A bill ready for download until {@code expiresAt}. */
    private record Bill(String mchid, byte[] content, boolean gzip, Instant expiresAt) {

        boolean expired(Instant now) {
            return !now.isBefore(this.expiresAt);
        }
    }

    /**
     * What the API and the notifications put on WeChat Pay's wire alike: the merchants and their keys, the key that
     * signs and the id it is known by, signed answers, transactions as WeChat Pay writes them, and its times.
     */
    @Component
    static final class Wire {

        private static final DateTimeFormatter RFC_3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX")
            .withZone(BEIJING);

        private final PrivateKey key;

        private final String publicKeyId;

        private final Map<String, Merchant> merchants = new HashMap<>();

        private final JsonMapper json;

        private final Clock clock;

        private final SecureRandom random = new SecureRandom();

        /**
         * A merchant as configured.
         * @param publicKey its API key, or {@code null} when none is configured (its requests are refused)
         * @param apiV3Key its API v3 key (32 bytes), or {@code null} when none is (it gets no notifications)
         */
        record Merchant(String mchid, String appid, @Nullable String serialNo, @Nullable PublicKey publicKey,
                @Nullable String apiV3Key) {

            @Override
            public String toString() {
                return "Merchant[mchid=" + this.mchid + ", appid=" + this.appid + ", serialNo=" + this.serialNo + "]";
            }
        }

        Wire(WechatProperties properties, ChannelKeys keys, JsonMapper json, Clock clock) {
            Resource location = properties.privateKeyLocation();
            this.key = location != null && location.exists() ? PemKeys.privateKey(read(location)) : keys.privateKey();
            this.publicKeyId = properties.publicKeyId();
            this.json = json;
            this.clock = clock;
            for (WechatProperties.Merchant merchant : properties.merchants()) {
                String pem = merchant.publicKey() != null && !merchant.publicKey().isBlank() ? merchant.publicKey()
                        : merchant.publicKeyLocation() != null && merchant.publicKeyLocation().exists()
                                ? read(merchant.publicKeyLocation()) : null;
                String serialNo = merchant.serialNo() != null && !merchant.serialNo().isBlank() ? merchant.serialNo() : null;
                if (pem == null || serialNo == null) {
                    log.warn("WeChat Pay merchant {} has no public key or serial-no configured: its requests will be "
                            + "refused", merchant.mchid());
                }
                String apiV3Key = merchant.apiV3Key();
                if (apiV3Key != null && apiV3Key.getBytes(StandardCharsets.UTF_8).length != 32) {
                    log.warn("WeChat Pay merchant {} has an API v3 key of {} bytes, not 32: it gets no notifications",
                            merchant.mchid(), apiV3Key.getBytes(StandardCharsets.UTF_8).length);
                    apiV3Key = null;
                }
                else if (apiV3Key == null || apiV3Key.isEmpty()) {
                    log.warn("WeChat Pay merchant {} has no API v3 key configured: it gets no notifications",
                            merchant.mchid());
                    apiV3Key = null;
                }
                this.merchants.put(merchant.mchid(), new Merchant(merchant.mchid(),
                        merchant.appid() != null ? merchant.appid() : "", serialNo,
                        pem != null ? PemKeys.publicKey(pem) : null, apiV3Key));
            }
        }

        @Nullable Merchant merchant(String mchid) {
            return this.merchants.get(mchid);
        }

        /** The id merchants know WeChat Pay's public key by ({@code Wechatpay-Serial}). */
        String publicKeyId() {
            return this.publicKeyId;
        }

        /** WeChat Pay's signature over {@code TIMESTAMP\nNONCE\nBODY\n}, base64. */
        String sign(String timestamp, String nonce, String body) {
            return Signatures.sign(Signatures.callbackText(timestamp, nonce, body), this.key);
        }

        /** A JSON answer, signed. */
        ResponseEntity<byte[]> signed(HttpStatusCode status, Object body) {
            return signedText(status, this.json.writeValueAsString(body));
        }

        /** An answer of this text (empty: no body), signed as WeChat Pay signs its answers. */
        ResponseEntity<byte[]> signedText(HttpStatusCode status, String body) {
            String timestamp = Long.toString(this.clock.instant().getEpochSecond());
            String nonce = nonce(32);
            ResponseEntity.BodyBuilder answer = ResponseEntity.status(status)
                .header("Request-ID", requestId())
                .header("Wechatpay-Nonce", nonce)
                .header("Wechatpay-Serial", this.publicKeyId)
                .header("Wechatpay-Signature", sign(timestamp, nonce, body))
                .header("Wechatpay-Timestamp", timestamp);
            if (body.isEmpty()) {
                return answer.build();
            }
            return answer.contentType(new MediaType("application", "json", StandardCharsets.UTF_8))
                .body(body.getBytes(StandardCharsets.UTF_8));
        }

        /** An error answer, signed: {@code {"code":..,"message":..}}. */
        ResponseEntity<byte[]> error(HttpStatusCode status, String code, String message) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("code", code);
            body.put("message", message);
            return signed(status, body);
        }

        /**
         * A transaction as WeChat Pay writes it, in a query's answer and in a payment notification: a paid one has
         * its {@code transaction_id}, {@code success_time} and payer; a refunded one is {@code REFUND}.
         * @param amount the amount it states (the trade's, or another when a fault tampers with a notification)
         */
        Map<String, Object> transaction(Trade trade, CreateTrade request, String appid, long amount) {
            boolean paid = trade.status() == TradeStatus.SUCCESS && trade.paidAt() != null;
            String state = switch (trade.status()) {
                case WAIT_PAY -> "NOTPAY";
                case CLOSED -> "CLOSED";
                case SUCCESS -> trade.refunded() > 0 ? "REFUND" : "SUCCESS";
            };
            Map<String, Object> transaction = new LinkedHashMap<>();
            transaction.put("appid", appid);
            transaction.put("mchid", request.merchantId());
            transaction.put("out_trade_no", trade.outTradeNo());
            if (paid) {
                transaction.put("transaction_id", trade.tradeNo());
                transaction.put("trade_type", "NATIVE");
            }
            transaction.put("trade_state", state);
            transaction.put("trade_state_desc", switch (state) {
                case "NOTPAY" -> "订单未支付";
                case "CLOSED" -> "订单已关闭";
                case "REFUND" -> "订单发生过退款";
                default -> "支付成功";
            });
            Map<String, Object> money = new LinkedHashMap<>();
            money.put("total", amount);
            if (paid) {
                transaction.put("bank_type", "OTHERS");
                transaction.put("attach", "");
                transaction.put("success_time", time(trade.paidAt()));
                transaction.put("payer", Map.of("openid", openid(trade.tradeNo())));
                money.put("payer_total", amount);
            }
            money.put("currency", trade.currency());
            money.put("payer_currency", trade.currency());
            transaction.put("amount", money);
            return transaction;
        }

        /** A random string of letters and digits, as WeChat Pay's nonces are. */
        String nonce(int length) {
            String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            StringBuilder nonce = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                nonce.append(alphabet.charAt(this.random.nextInt(alphabet.length())));
            }
            return nonce.toString();
        }

        /** A {@code Request-ID}, as WeChat Pay tags every answer. */
        String requestId() {
            byte[] id = new byte[16];
            this.random.nextBytes(id);
            return HexFormat.of().withUpperCase().formatHex(id);
        }

        /** An instant as WeChat Pay writes times: RFC 3339 to the second, at Beijing's offset. */
        static String time(Instant instant) {
            return RFC_3339.format(instant);
        }

        /** The payer of a trade: an openid, the same for the same trade. */
        static String openid(String tradeNo) {
            byte[] hash = digest("SHA-256", ("openid:" + tradeNo).getBytes(StandardCharsets.UTF_8));
            return "o" + Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 27);
        }

        private static String read(Resource resource) {
            try {
                return resource.getContentAsString(StandardCharsets.UTF_8);
            }
            catch (IOException ex) {
                throw new UncheckedIOException("Cannot read " + resource, ex);
            }
        }
    }
}
