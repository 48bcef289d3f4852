package io.tally.payment.channel.wechat;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import com.wechat.pay.java.core.RSAPublicKeyConfig;
import com.wechat.pay.java.core.exception.DecryptionException;
import com.wechat.pay.java.core.exception.HttpException;
import com.wechat.pay.java.core.exception.MalformedMessageException;
import com.wechat.pay.java.core.exception.ServiceException;
import com.wechat.pay.java.core.exception.ValidationException;
import com.wechat.pay.java.core.http.AbstractHttpClient;
import com.wechat.pay.java.core.http.DefaultHttpClientBuilder;
import com.wechat.pay.java.core.notification.NotificationParser;
import com.wechat.pay.java.core.notification.RequestParam;
import com.wechat.pay.java.service.billdownload.BillDownloadServiceExtension;
import com.wechat.pay.java.service.billdownload.DigestBillEntity;
import com.wechat.pay.java.service.billdownload.model.BillType;
import com.wechat.pay.java.service.billdownload.model.GetTradeBillRequest;
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
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClientException;
import org.springframework.web.client.RestClientResponseException;

import io.tally.channel.ChannelMessages.CloseOutcome;
import io.tally.channel.ChannelMessages.CloseResult;
import io.tally.channel.ChannelMessages.Notification;
import io.tally.channel.ChannelMessages.Refund;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.channel.ChannelMessages.TradeStatus;
import io.tally.channel.PemKeys;
import io.tally.channel.Signatures;
import io.tally.payment.channel.ExchangeLog;
import io.tally.payment.channel.OpenedTrade;
import io.tally.payment.channel.PaymentChannel;
import io.tally.payment.channel.SimulatorChannel;
import io.tally.payment.channel.Statement;

/**
 * WeChat Pay API v3 through its official SDK ({@code wechatpay-java}), in public-key mode: Native payments (the
 * user scans the {@code code_url}), queries, closes, refunds, the daily trade bill and the payment notifications.
 * The SDK signs every request with our API key and verifies every answer with WeChat Pay's public key; this class
 * turns what the SDK throws into what {@link PaymentChannel} promises:
 * <ul>
 * <li>{@link HttpException} (WeChat Pay not reached, or no answer in time) → {@link ResourceAccessException};
 * <li>{@link ServiceException} (WeChat Pay answered an error) → {@link HttpClientErrorException} for a 4xx,
 * {@link HttpServerErrorException} for a 5xx, each with WeChat Pay's error {@code code} as its status text and
 * its answer as its body;
 * <li>{@link ValidationException} (an answer not signed by WeChat Pay's key), {@link MalformedMessageException}
 * and anything else the SDK fails with while reading an answer → {@link HttpServerErrorException} 502.
 * </ul>
 * WeChat Pay numbers a trade only when it is paid ({@code transaction_id}): an opened trade has no number, and a
 * queried one that is not paid has an empty one. Every exchange is recorded in the {@link ExchangeLog} by an
 * interceptor on the SDK's HTTP client.
 */
@Component
@ConditionalOnProperty(prefix = "payment.wechat", name = "enabled", havingValue = "true")
public class WechatChannel implements PaymentChannel {

    /** This channel's name. */
    public static final String NAME = "wechat";

    /** WeChat Pay's host, which the SDK's URLs name (and so do the download URLs of its bills). */
    static final String WECHAT_HOST = "api.mch.weixin.qq.com";

    /** A bill's amount: yuan with at most two decimals, a sign only for the negative ones (fees). */
    private static final java.util.regex.Pattern YUAN = java.util.regex.Pattern.compile("-?\\d{1,15}(\\.\\d{1,2})?");

    /** WeChat Pay's time zone: the offset of its RFC 3339 times and the zone of its bills' times. */
    static final ZoneId BEIJING = ZoneId.of("Asia/Shanghai");

    /** RFC 3339 to the second with the offset, as WeChat Pay writes {@code time_expire}. */
    static final DateTimeFormatter RFC_3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");

    private static final DateTimeFormatter BILL_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    /**
     * How far a notification's {@code Wechatpay-Timestamp} may be from our clock: WeChat Pay asks merchants to refuse
     * older ones (as its SDK does with its answers), which stops a recorded notification from being replayed later.
     */
    static final Duration MAX_NOTIFICATION_AGE = Duration.ofMinutes(5);

    /** The expiry of a queried trade: WeChat Pay's query does not answer it, and nothing here reads it back. */
    private static final Instant EXPIRY_NOT_ANSWERED = Instant.EPOCH;

    /** WeChat Pay's error codes that this class acts on. */
    private static final String ORDERPAID = "ORDERPAID";

    private static final String ORDER_NOT_EXIST = "ORDER_NOT_EXIST";

    private static final String ORDER_CLOSED = "ORDER_CLOSED";

    private static final String RESOURCE_NOT_EXISTS = "RESOURCE_NOT_EXISTS";

    private static final String NO_STATEMENT_EXIST = "NO_STATEMENT_EXIST";

    private final String mchid;

    private final String appid;

    private final String publicKeyId;

    private final String notifyUrl;

    private final NativePayService nativePay;

    private final RefundService refunds;

    private final BillDownloadServiceExtension bills;

    private final NotificationParser notifications;

    private final JsonMapper json;

    private final Clock clock;

    /**
     * The trade and refund of the call under way on this thread, for the exchange log: the SDK's HTTP client is
     * synchronous, so its interceptors run on the caller's thread.
     */
    private final ThreadLocal<Subject> current = new ThreadLocal<>();

    WechatChannel(WechatProperties properties, ExchangeLog exchangeLog, JsonMapper json, Clock clock) {
        this.mchid = required(properties.mchid(), "payment.wechat.mchid");
        this.appid = required(properties.appid(), "payment.wechat.appid");
        this.publicKeyId = required(properties.publicKeyId(), "payment.wechat.public-key-id");
        this.notifyUrl = properties.notifyUrl();
        this.json = json;
        this.clock = clock;
        String serialNumber = required(properties.merchantSerialNumber(), "payment.wechat.merchant-serial-number");
        String apiV3Key = required(properties.apiV3Key(), "payment.wechat.api-v3-key");
        if (apiV3Key.getBytes(StandardCharsets.UTF_8).length != 32) {
            throw new IllegalStateException("payment.wechat.api-v3-key must be WeChat Pay's API v3 key, 32 bytes; it is "
                    + apiV3Key.getBytes(StandardCharsets.UTF_8).length + " bytes long");
        }
        PrivateKey merchantKey = PemKeys.privateKey(
                SimulatorChannel.read(properties.merchantPrivateKey(), "payment.wechat.merchant-private-key"));
        PublicKey wechatKey = PemKeys.publicKey(SimulatorChannel.read(properties.publicKey(), "payment.wechat.public-key"));
        RSAPublicKeyConfig config = new RSAPublicKeyConfig.Builder().merchantId(this.mchid)
            .privateKey(merchantKey)
            .merchantSerialNumber(serialNumber)
            .publicKey(wechatKey)
            .publicKeyId(this.publicKeyId)
            .apiV3Key(apiV3Key)
            .build();
        OkHttpClient.Builder okhttp = new OkHttpClient.Builder();
        HttpUrl elsewhere = elsewhere(properties.baseUrl());
        if (elsewhere != null) {
            okhttp.addInterceptor(new Redirect(elsewhere));
        }
        okhttp.addInterceptor(new Exchanges(exchangeLog, clock, this.current, wechatKey, this.publicKeyId));
        int timeoutMs = Math.toIntExact(properties.timeout().toMillis());
        AbstractHttpClient http = new DefaultHttpClientBuilder().config(config)
            .okHttpClient(okhttp.build())
            .connectTimeoutMs(timeoutMs)
            .readTimeoutMs(timeoutMs)
            .writeTimeoutMs(timeoutMs)
            .build();
        this.nativePay = new NativePayService.Builder().httpClient(http).build();
        this.refunds = new RefundService.Builder().httpClient(http).build();
        this.bills = new BillDownloadServiceExtension.Builder().httpClient(http)
            .decryptor(config.createDecryptor())
            .build();
        // RSAPublicKeyConfig is also the notifications' config: WeChat Pay's public key and our API v3 key
        this.notifications = new NotificationParser(config);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Our merchant id, which WeChat Pay's notifications must name. */
    @Override
    public String merchantId() {
        return this.mchid;
    }

    /**
     * Opens a Native trade: the user pays by scanning its {@code code_url}, until {@code expireAt}. WeChat Pay
     * answers the same {@code code_url} when the same trade is opened again. A trade paid already (its opening
     * answered, but the answer lost) answers {@code ORDERPAID}: it is there, with nothing left to pay, so it is
     * answered as opened with an empty pay code, the paid trade's number when a query finds it.
     */
    @Override
    public OpenedTrade createTrade(String outTradeNo, long amount, String currency, Instant expireAt, String subject) {
        PrepayRequest request = new PrepayRequest();
        request.setAppid(this.appid);
        request.setMchid(this.mchid);
        request.setDescription(cut(subject, 127));
        request.setOutTradeNo(outTradeNo);
        request.setTimeExpire(RFC_3339.format(expireAt.atZone(BEIJING)));
        request.setNotifyUrl(this.notifyUrl);
        Amount total = new Amount();
        total.setTotal(fen(amount));
        total.setCurrency(currency);
        request.setAmount(total);
        PrepayResponse prepay;
        try {
            prepay = call("the trade's opening", outTradeNo, null, () -> this.nativePay.prepay(request));
        }
        catch (HttpClientErrorException ex) {
            if ("OUT_TRADE_NO_USED".equals(code(ex))) {
                // the trade exists, opened with other parameters: never a refusal, which would withdraw its payment
                throw new HttpServerErrorException(HttpStatus.SERVICE_UNAVAILABLE, "WeChat Pay has trade " + outTradeNo
                        + " opened with other parameters: " + ex.getMessage());
            }
            if (!ORDERPAID.equals(code(ex))) {
                throw ex;
            }
            // the trade exists and is paid: whatever the query answers, this must not be taken for a refusal (which
            // would withdraw the payment)
            Trade paid;
            try {
                paid = query(outTradeNo);
            }
            catch (HttpClientErrorException queryRefused) {
                throw new HttpServerErrorException(HttpStatus.SERVICE_UNAVAILABLE, "WeChat Pay says trade " + outTradeNo
                        + " is paid, and its query was refused: " + queryRefused.getMessage());
            }
            return new OpenedTrade(paid != null && paid.status() == TradeStatus.SUCCESS ? paid.tradeNo() : null, "");
        }
        if (prepay == null || prepay.getCodeUrl() == null || prepay.getCodeUrl().isBlank()) {
            throw malformed("the trade's opening", "no code_url");
        }
        return new OpenedTrade(null, prepay.getCodeUrl());
    }

    /**
     * The trade as WeChat Pay knows it ({@code ORDER_NOT_EXIST}: none). {@code NOTPAY} and {@code USERPAYING} wait
     * for the user; {@code SUCCESS} and {@code REFUND} (paid, and refunded since) are paid, the whole amount
     * captured; {@code CLOSED}, {@code REVOKED} and {@code PAYERROR} are closed.
     */
    @Override
    public @Nullable Trade query(String outTradeNo) {
        QueryOrderByOutTradeNoRequest request = new QueryOrderByOutTradeNoRequest();
        request.setOutTradeNo(outTradeNo);
        request.setMchid(this.mchid);
        Transaction transaction;
        try {
            transaction = call("the trade's query", outTradeNo, null, () -> this.nativePay.queryOrderByOutTradeNo(request));
        }
        catch (HttpClientErrorException ex) {
            if (ORDER_NOT_EXIST.equals(code(ex))) {
                return null;
            }
            throw ex;
        }
        return trade(outTradeNo, transaction);
    }

    /** The channel-neutral view of a queried transaction, checked to be the one asked for and complete. */
    private Trade trade(String outTradeNo, @Nullable Transaction transaction) {
        String what = "the trade's query";
        if (transaction == null || !outTradeNo.equals(transaction.getOutTradeNo())) {
            throw malformed(what, "another trade than " + outTradeNo + " was answered");
        }
        if (transaction.getTradeState() == null || transaction.getAmount() == null
                || transaction.getAmount().getTotal() == null || transaction.getAmount().getCurrency() == null) {
            throw malformed(what, "no trade_state, amount.total or amount.currency");
        }
        long total = transaction.getAmount().getTotal();
        String currency = transaction.getAmount().getCurrency();
        return switch (transaction.getTradeState()) {
            case NOTPAY, USERPAYING, ACCEPT -> new Trade(outTradeNo, "", total, currency, TradeStatus.WAIT_PAY,
                    EXPIRY_NOT_ANSWERED, 0, 0, null);
            case CLOSED, REVOKED, PAYERROR -> new Trade(outTradeNo, "", total, currency, TradeStatus.CLOSED,
                    EXPIRY_NOT_ANSWERED, 0, 0, null);
            case SUCCESS, REFUND -> {
                String transactionId = transaction.getTransactionId();
                if (transactionId == null || transactionId.isBlank()) {
                    throw malformed(what, "a paid trade without transaction_id");
                }
                Instant paidAt = instant(transaction.getSuccessTime());
                if (paidAt == null) {
                    throw malformed(what, "a paid trade without an RFC 3339 success_time");
                }
                // WeChat Pay's query does not say how much was refunded, only that something was (REFUND)
                yield new Trade(outTradeNo, transactionId, total, currency, TradeStatus.SUCCESS, EXPIRY_NOT_ANSWERED,
                        total, 0, paidAt);
            }
        };
    }

    /**
     * Closes the trade (answered 204). {@code ORDERPAID}: it was paid already. {@code ORDER_NOT_EXIST}: WeChat Pay
     * has no such trade, which no one can pay, so it is as closed.
     */
    @Override
    public CloseResult close(String outTradeNo, Instant expireAt) {
        CloseOrderRequest request = new CloseOrderRequest();
        request.setOutTradeNo(outTradeNo);
        request.setMchid(this.mchid);
        try {
            call("the trade's close", outTradeNo, null, () -> {
                this.nativePay.closeOrder(request);
                return Boolean.TRUE;
            });
            return new CloseResult(outTradeNo, CloseOutcome.CLOSED);
        }
        catch (HttpClientErrorException ex) {
            return switch (code(ex)) {
                case ORDERPAID -> new CloseResult(outTradeNo, CloseOutcome.ALREADY_PAID);
                case ORDER_NOT_EXIST, ORDER_CLOSED -> new CloseResult(outTradeNo, CloseOutcome.CLOSED);
                default -> throw ex;
            };
        }
    }

    /**
     * Refunds to the payer ({@code out_refund_no} is our refund number: WeChat Pay refunds once per number, and
     * answers the same refund when asked again). WeChat Pay's refunds finish asynchronously: one still
     * {@code PROCESSING} throws a 503, so the caller asks again (with the same number) later; one {@code ABNORMAL}
     * (the payer's account cannot take it) or {@code CLOSED} is refused (409), for an operator.
     */
    @Override
    public Refund refund(String outTradeNo, String refundNo, long amount, long tradeAmount, String currency,
            String reason) {
        CreateRequest request = new CreateRequest();
        request.setOutTradeNo(outTradeNo);
        request.setOutRefundNo(refundNo);
        if (!reason.isBlank()) {
            request.setReason(cut(reason, 80));
        }
        AmountReq money = new AmountReq();
        money.setRefund(amount);
        money.setTotal(tradeAmount);
        money.setCurrency(currency);
        request.setAmount(money);
        com.wechat.pay.java.service.refund.model.Refund answer = call("the refund", outTradeNo, refundNo,
                () -> this.refunds.create(request));
        Refund refund = finished("the refund", outTradeNo, refundNo, answer);
        if (refund == null) {
            throw new HttpServerErrorException(HttpStatus.SERVICE_UNAVAILABLE,
                    "WeChat Pay accepted refund " + refundNo + " and has not finished it yet (PROCESSING)");
        }
        if (refund.amount() != amount) {
            // the refund number was used for another amount: not the refund asked for, an operator must look
            throw new HttpClientErrorException(HttpStatus.CONFLICT, "Refund " + refundNo + " at WeChat Pay is of "
                    + refund.amount() + " fen, not of the " + amount + " asked");
        }
        return refund;
    }

    /** The refund when WeChat Pay has finished it; {@code null} when it knows none, or it is still processing. */
    @Override
    public @Nullable Refund queryRefund(String outTradeNo, String refundNo) {
        QueryByOutRefundNoRequest request = new QueryByOutRefundNoRequest();
        request.setOutRefundNo(refundNo);
        com.wechat.pay.java.service.refund.model.Refund answer;
        try {
            answer = call("the refund's query", outTradeNo, refundNo, () -> this.refunds.queryByOutRefundNo(request));
        }
        catch (HttpClientErrorException ex) {
            if (RESOURCE_NOT_EXISTS.equals(code(ex))) {
                return null;
            }
            throw ex;
        }
        return finished("the refund's query", outTradeNo, refundNo, answer);
    }

    /**
     * The refund WeChat Pay answered, when it is finished ({@code SUCCESS}); {@code null} while it is
     * {@code PROCESSING}.
     * @throws HttpClientErrorException when it failed for good ({@code ABNORMAL}, {@code CLOSED}) or belongs to
     * another trade (the refund number was used for another)
     */
    private @Nullable Refund finished(String what, String outTradeNo, String refundNo,
            com.wechat.pay.java.service.refund.model.@Nullable Refund answer) {
        if (answer == null || !refundNo.equals(answer.getOutRefundNo()) || answer.getStatus() == null
                || answer.getAmount() == null || answer.getAmount().getRefund() == null) {
            throw malformed(what, "not refund " + refundNo + " with a status and an amount");
        }
        if (answer.getOutTradeNo() != null && !outTradeNo.equals(answer.getOutTradeNo())) {
            throw new HttpClientErrorException(HttpStatus.CONFLICT, "Refund " + refundNo + " at WeChat Pay is of trade "
                    + answer.getOutTradeNo() + ", not of " + outTradeNo);
        }
        return switch (answer.getStatus()) {
            case SUCCESS -> {
                Instant refundedAt = instant(answer.getSuccessTime());
                if (refundedAt == null) {
                    refundedAt = instant(answer.getCreateTime());
                }
                yield new Refund(refundNo, outTradeNo, answer.getAmount().getRefund(),
                        refundedAt != null ? refundedAt : this.clock.instant());
            }
            case PROCESSING -> null;
            case ABNORMAL, CLOSED -> throw new HttpClientErrorException(HttpStatus.CONFLICT,
                    "Refund " + refundNo + " is " + answer.getStatus() + " at WeChat Pay: it needs an operator");
        };
    }

    /**
     * The day's trade bill ({@code bill_type=ALL}): downloaded, its SHA1 checked against the one WeChat Pay gave,
     * parsed ({@link #parseBill}). A day without trades has no bill ({@code NO_STATEMENT_EXIST}): an empty statement.
     * @throws IllegalArgumentException when the bill does not match its digest, is malformed, or its rows do not
     * add up to its summary
     */
    @Override
    public Statement statement(LocalDate day) {
        GetTradeBillRequest request = new GetTradeBillRequest();
        request.setBillDate(day.toString());
        request.setBillType(BillType.ALL);
        Downloaded bill;
        try {
            bill = call("the trade bill's download", null, null, () -> {
                DigestBillEntity entity = this.bills.getTradeBill(request);
                try (InputStream in = entity.getInputStream()) {
                    byte[] bytes = in.readAllBytes();
                    return new Downloaded(bytes, entity.verifyHash());
                }
                catch (IOException ex) {
                    throw new HttpException("The trade bill of " + day + " could not be read", ex);
                }
            });
        }
        catch (HttpClientErrorException ex) {
            if (NO_STATEMENT_EXIST.equals(code(ex))) {
                return Statement.of(day, List.of());
            }
            throw ex;
        }
        if (!bill.intact()) {
            throw new IllegalArgumentException("The trade bill of " + day + " does not match the SHA1 digest WeChat Pay "
                    + "gave for it: cut short or altered");
        }
        return parseBill(new String(bill.bytes(), StandardCharsets.UTF_8), day, this.mchid);
    }

    /**
     * Reads a WeChat Pay trade bill: a header row naming the columns, a row per payment ({@code SUCCESS}) and per
     * refund ({@code REFUND}), every value after a backtick, amounts in yuan with two decimals; then a summary
     * header ({@code 总交易单数,...}) and its row. Columns are found by name (WeChat Pay says their order may
     * change). A payment is its {@code 订单金额} (or, in a bill without it, its {@code 应结订单金额}); a refund its
     * {@code 退款金额} under {@code 商户退款单号}; times are Beijing time. The rows must add up to the summary.
     * @throws IllegalArgumentException when the bill is malformed, cut short, or does not add up
     */
    static Statement parseBill(String text, LocalDate day, String mchid) {
        String content = text.startsWith("\uFEFF") ? text.substring(1) : text;
        List<String> rows = new ArrayList<>();
        for (String row : content.split("\\R")) {
            if (!row.isBlank()) {
                rows.add(row.strip());
            }
        }
        int summary = -1;
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).replace("`", "").startsWith("总交易单数")) {
                summary = i;
                break;
            }
        }
        if (rows.isEmpty() || summary < 1 || summary + 2 != rows.size()) {
            throw new IllegalArgumentException("The trade bill of " + day + " is not a header, rows, a summary header "
                    + "and a summary: it may be cut short (" + rows.size() + " rows, summary at " + (summary + 1) + ")");
        }
        Map<String, Integer> columns = header(rows.get(0));
        int timeColumn = column(columns, "交易时间");
        int tradeNoColumn = column(columns, "微信订单号");
        int outTradeNoColumn = column(columns, "商户订单号");
        int stateColumn = column(columns, "交易状态");
        int settledColumn = column(columns, "应结订单金额");
        int refundNoColumn = column(columns, "商户退款单号");
        int refundColumn = column(columns, "退款金额");
        Integer orderColumn = columns.get("订单金额");
        Integer requestedColumn = columns.get("申请退款金额");
        int merchantColumn = column(columns, "商户号");
        Integer refundStateColumn = columns.get("退款状态");
        List<Statement.Line> lines = new ArrayList<>();
        long settled = 0;
        long refunded = 0;
        long ordered = 0;
        long requested = 0;
        for (int i = 1; i < summary; i++) {
            int number = i + 1;
            String[] cells = cells(rows.get(i), columns.size(), number);
            long settledAmount = fen(cells[settledColumn], number, "应结订单金额");
            long refundAmount = fen(cells[refundColumn], number, "退款金额");
            long orderAmount = orderColumn != null ? fen(cells[orderColumn], number, "订单金额") : 0;
            try {
                settled = Math.addExact(settled, settledAmount);
                refunded = Math.addExact(refunded, refundAmount);
                ordered = Math.addExact(ordered, orderAmount);
                if (requestedColumn != null) {
                    requested = Math.addExact(requested, fen(cells[requestedColumn], number, "申请退款金额"));
                }
            }
            catch (ArithmeticException overflow) {
                throw new IllegalArgumentException("The trade bill's amounts add up to more than minor units can hold, "
                        + "at row " + number);
            }
            if (!mchid.equals(cells[merchantColumn])) {
                throw new IllegalArgumentException("Row " + number + " of the trade bill is of merchant "
                        + cells[merchantColumn] + ", not ours (" + mchid + ")");
            }
            String outTradeNo = cells[outTradeNoColumn];
            String tradeNo = cells[tradeNoColumn];
            if (outTradeNo.isBlank() || tradeNo.isBlank()) {
                throw new IllegalArgumentException("Row " + number + " of the trade bill has no 商户订单号 or 微信订单号");
            }
            Instant time = billTime(cells[timeColumn], number);
            switch (cells[stateColumn]) {
                case "SUCCESS" -> lines.add(new Statement.Line("PAYMENT", outTradeNo, tradeNo, null,
                        orderColumn != null ? orderAmount : settledAmount, time));
                case "REFUND" -> {
                    String refundNo = cells[refundNoColumn];
                    if (refundNo.isBlank() || "0".equals(refundNo)) {
                        throw new IllegalArgumentException("Refund row " + number + " of the trade bill has no 商户退款单号");
                    }
                    // only a finished refund moved money; one still PROCESSING (or failed) is in a later bill, if ever
                    String refundState = refundStateColumn == null ? "SUCCESS" : cells[refundStateColumn].strip();
                    if (!java.util.Set.of("SUCCESS", "PROCESSING", "ABNORMAL", "CLOSED", "CHANGE").contains(refundState)) {
                        throw new IllegalArgumentException("Refund row " + number + " of the trade bill has an unknown "
                                + "退款状态 " + refundState);
                    }
                    if (refundState.equals("SUCCESS")) {
                        lines.add(new Statement.Line("REFUND", outTradeNo, tradeNo, refundNo, refundAmount, time));
                    }
                }
                default -> throw new IllegalArgumentException("Row " + number + " of the trade bill is "
                        + cells[stateColumn] + ", neither a payment (SUCCESS) nor a refund (REFUND)");
            }
        }
        Map<String, Integer> totalColumns = header(rows.get(summary));
        String[] totals = cells(rows.get(summary + 1), totalColumns.size(), summary + 2);
        String count = totals[column(totalColumns, "总交易单数")].strip();
        // the summary counts every row (an unfinished refund's too), as its totals add up every row's amounts
        if (!count.equals(Integer.toString(summary - 1))) {
            throw new IllegalArgumentException("The trade bill of " + day + " has " + (summary - 1)
                    + " rows where its summary says " + count + ": it may be cut short");
        }
        agree(totals, totalColumns, "应结订单总金额", settled, summary + 2);
        agree(totals, totalColumns, "退款总金额", refunded, summary + 2);
        if (orderColumn != null && totalColumns.containsKey("订单总金额")) {
            agree(totals, totalColumns, "订单总金额", ordered, summary + 2);
        }
        if (requestedColumn != null && totalColumns.containsKey("申请退款总金额")) {
            agree(totals, totalColumns, "申请退款总金额", requested, summary + 2);
        }
        return Statement.of(day, lines);
    }

    /** A header row's column names (each without a backtick, should one be there), by position. */
    private static Map<String, Integer> header(String row) {
        Map<String, Integer> columns = new HashMap<>();
        String[] names = row.split(",", -1);
        for (int i = 0; i < names.length; i++) {
            String name = names[i].strip();
            columns.putIfAbsent(name.startsWith("`") ? name.substring(1).strip() : name, i);
        }
        return columns;
    }

    private static int column(Map<String, Integer> columns, String name) {
        Integer index = columns.get(name);
        if (index == null) {
            throw new IllegalArgumentException("The trade bill has no column " + name + ": " + columns.keySet());
        }
        return index;
    }

    /**
     * A row's values: each follows a backtick, so a row is split at {@code ,`} (a comma inside a value, in a
     * product's name, stays in it).
     */
    private static String[] cells(String row, int expected, int number) {
        if (!row.startsWith("`")) {
            throw new IllegalArgumentException("Row " + number + " of the trade bill is not a row of `-prefixed values: "
                    + cut(row, 200));
        }
        String[] cells = row.substring(1).split(",`", -1);
        if (cells.length != expected) {
            throw new IllegalArgumentException("Row " + number + " of the trade bill has " + cells.length
                    + " values where its header has " + expected + " columns");
        }
        return cells;
    }

    /** Checks a summary total against the rows' sum. */
    private static void agree(String[] totals, Map<String, Integer> columns, String name, long sum, int number) {
        long total = fen(totals[column(columns, name)], number, name);
        if (total != sum) {
            throw new IllegalArgumentException("The trade bill's rows add up to " + sum + " fen of " + name
                    + " where its summary says " + total);
        }
    }

    /** An amount in yuan (at most two decimals) as fen, exactly. */
    private static long fen(String yuan, int row, String column) {
        if (!YUAN.matcher(yuan.strip()).matches()) {
            throw new IllegalArgumentException("Row " + row + " of the trade bill has a " + column
                    + " that is not an amount of yuan to the fen: " + yuan);
        }
        try {
            return new BigDecimal(yuan.strip()).movePointRight(2).setScale(0, RoundingMode.UNNECESSARY).longValueExact();
        }
        catch (NumberFormatException | ArithmeticException ex) {
            throw new IllegalArgumentException("Row " + row + " of the trade bill has a " + column
                    + " that is not an amount of yuan to the fen: " + yuan);
        }
    }

    /** A bill's time ({@code yyyy-MM-dd HH:mm:ss}, Beijing time). */
    private static Instant billTime(String value, int row) {
        try {
            return LocalDateTime.parse(value.strip().replaceAll("\\s+", " "), BILL_TIME).atZone(BEIJING).toInstant();
        }
        catch (DateTimeParseException ex) {
            throw new IllegalArgumentException("Row " + row + " of the trade bill has a malformed 交易时间: " + value);
        }
    }

    /**
     * Verifies a payment notification with the SDK: WeChat Pay's signature over timestamp, nonce and body (under
     * our public key id), then the resource decrypted with our API v3 key (AES-256-GCM, which authenticates it
     * too); a timestamp within {@link #MAX_NOTIFICATION_AGE}; then the transaction's fields: ours (merchant and
     * app), complete, within what we keep. The notification's own id (the envelope's {@code id}) stays the same
     * across WeChat Pay's sends of it.
     */
    @Override
    public Verification verify(CallbackRequest request) {
        String serial = request.header("Wechatpay-Serial");
        String signature = request.header("Wechatpay-Signature");
        String timestamp = request.header("Wechatpay-Timestamp");
        String nonce = request.header("Wechatpay-Nonce");
        if (serial == null || signature == null || timestamp == null || nonce == null) {
            return new Verification.Refused("no Wechatpay-Serial, -Signature, -Timestamp or -Nonce header", true);
        }
        RequestParam param = new RequestParam.Builder().serialNumber(serial)
            .signature(signature)
            .timestamp(timestamp)
            .nonce(nonce)
            .signType(request.header("Wechatpay-Signature-Type"))
            .body(request.body())
            .build();
        Transaction transaction;
        try {
            transaction = this.notifications.parse(param, Transaction.class);
        }
        catch (ValidationException ex) {
            return new Verification.Refused("the signature does not verify with WeChat Pay's public key "
                    + this.publicKeyId + " (signed under " + cut(serial, 64) + ")", true);
        }
        catch (DecryptionException ex) {
            return new Verification.Refused("the resource does not decrypt with our API v3 key", true);
        }
        catch (RuntimeException ex) {
            // signed by WeChat Pay, but not a notification the SDK can read (MalformedMessageException, Gson's errors,
            // a ciphertext that is not base64)
            return new Verification.Refused("unreadable notification: " + cut(String.valueOf(ex.getMessage()), 200),
                    false);
        }
        String stale = Signatures.staleness(timestamp, this.clock.instant(), MAX_NOTIFICATION_AGE);
        if (stale != null) {
            return new Verification.Refused(stale, true);
        }
        if (transaction == null) {
            return new Verification.Refused("no transaction in the notification", false);
        }
        String outTradeNo = transaction.getOutTradeNo();
        if (outTradeNo == null || outTradeNo.isBlank() || outTradeNo.length() > 40) {
            // named in the refusal all the same, for the exchange log (which cuts it to its column)
            return new Verification.Refused("out_trade_no missing or longer than 40 characters",
                    Verification.Refused.Kind.MALFORMED, outTradeNo);
        }
        JsonNode envelope;
        try {
            envelope = this.json.readTree(request.body());
        }
        catch (JacksonException ex) {
            return malformedNotification("unreadable envelope: " + ex.getOriginalMessage(), outTradeNo);
        }
        String id = string(envelope.get("id"));
        if (id == null || id.isBlank() || id.length() > 64) {
            return malformedNotification("id missing or longer than 64 characters", outTradeNo);
        }
        String event = string(envelope.get("event_type"));
        if (!"TRANSACTION.SUCCESS".equals(event)) {
            return malformedNotification("event " + event + " is not a payment's (TRANSACTION.SUCCESS)", outTradeNo);
        }
        if (!this.mchid.equals(transaction.getMchid())) {
            return new Verification.Refused("merchant " + transaction.getMchid() + " is not ours",
                    Verification.Refused.Kind.NOT_OURS, outTradeNo);
        }
        if (!this.appid.equals(transaction.getAppid())) {
            return new Verification.Refused("app " + transaction.getAppid() + " is not ours",
                    Verification.Refused.Kind.NOT_OURS, outTradeNo);
        }
        String transactionId = transaction.getTransactionId();
        if (transactionId == null || transactionId.isBlank() || transactionId.length() > 64
                || transaction.getTradeState() == null || transaction.getAmount() == null
                || transaction.getAmount().getTotal() == null || transaction.getAmount().getCurrency() == null) {
            return malformedNotification("transaction_id, trade_state, amount.total and amount.currency are required",
                    outTradeNo);
        }
        Instant paidAt = instant(transaction.getSuccessTime());
        if (paidAt == null) {
            if (transaction.getTradeState() == Transaction.TradeStateEnum.SUCCESS) {
                return malformedNotification("a paid transaction without an RFC 3339 success_time", outTradeNo);
            }
            paidAt = this.clock.instant();
        }
        String status = transaction.getTradeState() == Transaction.TradeStateEnum.SUCCESS ? Notification.TRADE_SUCCESS
                : transaction.getTradeState().name();
        return new Verification.Verified(new Notification(id, transaction.getMchid(), outTradeNo, transactionId,
                transaction.getAmount().getTotal(), transaction.getAmount().getCurrency(), status, paidAt),
                request.body());
    }

    private static Verification.Refused malformedNotification(String reason, String outTradeNo) {
        return new Verification.Refused(reason, Verification.Refused.Kind.MALFORMED, outTradeNo);
    }

    /** WeChat Pay stops sending a notification answered 200 or 204; this answers 204, with no body. */
    @Override
    public ResponseEntity<String> acknowledge() {
        return ResponseEntity.noContent().build();
    }

    /** Any other status makes WeChat Pay send the notification again; the body says why, as WeChat Pay asks. */
    @Override
    public ResponseEntity<String> reject(HttpStatus status, String reason) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("code", "FAIL");
        body.put("message", reason);
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON)
            .body(this.json.writeValueAsString(body));
    }

    /**
     * Makes one call through the SDK, recording its trade and refund for the exchange log, and turns what the SDK
     * throws into {@link RestClientException}s.
     * @param what the call, as the exceptions name it
     */
    private <T> T call(String what, @Nullable String outTradeNo, @Nullable String refundNo, Supplier<T> call) {
        this.current.set(new Subject(outTradeNo, refundNo));
        try {
            return call.get();
        }
        catch (HttpException ex) {
            Throwable cause = ex.getCause();
            throw new ResourceAccessException("WeChat Pay could not be reached for " + what + ": "
                    + (cause != null ? cause : ex.getMessage()),
                    cause instanceof IOException io ? io : new IOException(ex.getMessage(), ex));
        }
        catch (ServiceException ex) {
            throw answered(what, ex);
        }
        catch (ValidationException ex) {
            throw new HttpServerErrorException(HttpStatus.BAD_GATEWAY, "WeChat Pay's answer to " + what
                    + " is not signed with its public key " + this.publicKeyId + ": " + cut(ex.getMessage(), 300));
        }
        catch (MalformedMessageException ex) {
            throw malformed(what, String.valueOf(ex.getMessage()));
        }
        catch (RestClientException ex) {
            throw ex;
        }
        catch (RuntimeException ex) {
            // the SDK's validator throws IllegalArgumentException for an answer without a fresh Wechatpay-Timestamp,
            // Gson its own exceptions for an error answer that is not JSON
            throw malformed(what, ex.toString());
        }
        finally {
            this.current.remove();
        }
    }

    /**
     * WeChat Pay's error answer as a {@link RestClientResponseException}: WeChat Pay's {@code code} as the status
     * text (what {@link #code} reads), its answer as the body.
     */
    private RestClientResponseException answered(String what, ServiceException ex) {
        Subject about = this.current.get();
        if (about == null || !about.errorSigned) {
            // the SDK checks no error answer's signature: one that WeChat Pay's key did not sign says nothing
            return new HttpServerErrorException(HttpStatus.BAD_GATEWAY, "WeChat Pay's error answer to " + what + " ("
                    + ex.getHttpStatusCode() + " " + ex.getErrorCode() + ") is not signed with its public key "
                    + this.publicKeyId + ": not taken for an answer");
        }
        String code = ex.getErrorCode() != null ? ex.getErrorCode() : "";
        if (ex.getHttpStatusCode() == 429 || "FREQUENCY_LIMITED".equals(code)) {
            // asked too often: a later try succeeds, so not a refusal
            return new HttpServerErrorException("WeChat Pay throttled " + what + ": " + ex.getErrorMessage(),
                    HttpStatus.SERVICE_UNAVAILABLE, code, new HttpHeaders(), new byte[0], StandardCharsets.UTF_8);
        }
        String message = "WeChat Pay answered " + what + " with " + ex.getHttpStatusCode() + " " + code + ": "
                + ex.getErrorMessage();
        byte[] body = ex.getResponseBody() != null ? ex.getResponseBody().getBytes(StandardCharsets.UTF_8) : new byte[0];
        HttpStatusCode status = HttpStatusCode.valueOf(ex.getHttpStatusCode());
        if (status.is4xxClientError()) {
            return HttpClientErrorException.create(message, status, code, new HttpHeaders(), body, StandardCharsets.UTF_8);
        }
        if (status.is5xxServerError()) {
            return HttpServerErrorException.create(message, status, code, new HttpHeaders(), body, StandardCharsets.UTF_8);
        }
        return new HttpServerErrorException(message, HttpStatus.BAD_GATEWAY, code, new HttpHeaders(), body,
                StandardCharsets.UTF_8);
    }

    /** WeChat Pay's error code of a refusal this class made from its answer. */
    private static String code(RestClientResponseException ex) {
        String code = ex.getStatusText();
        return code != null ? code : "";
    }

    private HttpServerErrorException malformed(String what, String why) {
        return new HttpServerErrorException(HttpStatus.BAD_GATEWAY,
                "WeChat Pay's answer to " + what + " could not be used: " + cut(why, 300));
    }

    /** An amount as WeChat Pay's {@code amount.total}: a positive integer of fen. */
    private static int fen(long amount) {
        if (amount <= 0 || amount > Integer.MAX_VALUE) {
            throw new HttpClientErrorException(HttpStatus.BAD_REQUEST,
                    "WeChat Pay takes amounts of 1 to " + Integer.MAX_VALUE + " fen, not " + amount);
        }
        return (int) amount;
    }

    /** An RFC 3339 time as WeChat Pay writes them, or {@code null} when absent or malformed. */
    private static @Nullable Instant instant(@Nullable String rfc3339) {
        if (rfc3339 == null || rfc3339.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(rfc3339).toInstant();
        }
        catch (DateTimeParseException ex) {
            return null;
        }
    }

    private static @Nullable String string(@Nullable JsonNode node) {
        return node != null && node.isString() ? node.asString() : null;
    }

    private static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max);
    }

    private static String required(@Nullable String value, String property) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("Set " + property + " to use WeChat Pay (payment.wechat.enabled=true)");
        }
        return value;
    }

    /**
     * Where the SDK's requests go instead of WeChat Pay, or {@code null} for WeChat Pay itself. The SDK's URLs name
     * WeChat Pay's host (its {@code HostName} offers only WeChat Pay's own), so another address is reached by
     * rewriting each request's scheme, host and port; the path, which the SDK signs, is left as it is.
     */
    private static @Nullable HttpUrl elsewhere(URI baseUrl) {
        HttpUrl url = HttpUrl.parse(baseUrl.toString());
        if (url == null) {
            throw new IllegalStateException("payment.wechat.base-url is not an http(s) URL: " + baseUrl);
        }
        if (!url.encodedPath().equals("/") || url.encodedQuery() != null) {
            throw new IllegalStateException("payment.wechat.base-url must name a scheme, host and port only (the SDK "
                    + "signs WeChat Pay's paths, which cannot move): " + baseUrl);
        }
        boolean wechat = url.host().equals(WECHAT_HOST) && url.scheme().equals("https") && url.port() == 443;
        return wechat ? null : url;
    }

    /** The trade and refund a call is about. */
    private static final class Subject {

        final @Nullable String outTradeNo;

        final @Nullable String refundNo;

        /** Whether the error answer of this call (if any) verified with WeChat Pay's key. */
        volatile boolean errorSigned;

        Subject(@Nullable String outTradeNo, @Nullable String refundNo) {
            this.outTradeNo = outTradeNo;
            this.refundNo = refundNo;
        }
    }

    /** A downloaded bill, and whether it matches the digest WeChat Pay gave. */
    private record Downloaded(byte[] bytes, boolean intact) {
    }

    /** Sends the SDK's requests for WeChat Pay's host to another address (scheme, host and port). */
    private record Redirect(HttpUrl target) implements Interceptor {

        @Override
        public Response intercept(Interceptor.Chain chain) throws IOException {
            Request request = chain.request();
            HttpUrl url = request.url();
            if (!url.host().equals(WECHAT_HOST)) {
                return chain.proceed(request);
            }
            HttpUrl moved = url.newBuilder()
                .scheme(this.target.scheme())
                .host(this.target.host())
                .port(this.target.port())
                .build();
            return chain.proceed(request.newBuilder().url(moved).build());
        }
    }

    /**
     * Records each request to WeChat Pay with its answer (or the error that ended it) in the exchange log: the
     * headers that sign and identify it ({@code Authorization}; {@code Request-ID} and the {@code Wechatpay-*} of
     * the answer), both bodies, and the trade and refund of the call.
     */
    private static final class Exchanges implements Interceptor {

        /** The most of an answer's body that is read for the log (the log keeps 60,000). */
        private static final long MAX_LOGGED = 60_000;

        /** The most of a bill measured for the log (its content, buyers' ids included, is not logged). */
        private static final long MAX_BILL = 64L * 1024 * 1024;

        private static final List<String> ANSWER_HEADERS = List.of("Request-ID", "Wechatpay-Serial",
                "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature");

        private final ExchangeLog log;

        private final Clock clock;

        private final ThreadLocal<Subject> subject;

        private final PublicKey wechatKey;

        private final String publicKeyId;

        Exchanges(ExchangeLog log, Clock clock, ThreadLocal<Subject> subject, PublicKey wechatKey, String publicKeyId) {
            this.log = log;
            this.clock = clock;
            this.subject = subject;
            this.wechatKey = wechatKey;
            this.publicKeyId = publicKeyId;
        }

        /**
         * Whether an error answer is WeChat Pay's: signed under its public key id over timestamp, nonce and body,
         * with a fresh timestamp (the SDK verifies only successful answers).
         */
        private boolean signed(Response response, String body) {
            String serial = response.header("Wechatpay-Serial");
            String timestamp = response.header("Wechatpay-Timestamp");
            String nonce = response.header("Wechatpay-Nonce");
            String signature = response.header("Wechatpay-Signature");
            return this.publicKeyId.equals(serial) && timestamp != null && nonce != null && signature != null
                    && Signatures.staleness(timestamp, this.clock.instant(), MAX_NOTIFICATION_AGE) == null
                    && Signatures.verify(Signatures.callbackText(timestamp, nonce, body), signature, this.wechatKey);
        }

        @Override
        public Response intercept(Interceptor.Chain chain) throws IOException {
            Request request = chain.request();
            Instant started = this.clock.instant();
            long start = System.nanoTime();
            HttpUrl url = request.url();
            String endpoint = url.encodedPath() + (url.encodedQuery() != null ? "?" + url.encodedQuery() : "");
            Map<String, String> headers = new LinkedHashMap<>();
            copy(request.header("Authorization"), "Authorization", headers);
            copy(request.header("Content-Type"), "Content-Type", headers);
            String requestBody = body(request);
            Subject about = this.subject.get();
            String outTradeNo = about != null ? about.outTradeNo : null;
            String refundNo = about != null ? about.refundNo : null;
            try {
                Response response = chain.proceed(request);
                boolean download = url.encodedPath().contains("billdownload");
                String responseBody = download ? "(a bill of " + response.peekBody(MAX_BILL).bytes().length
                        + " bytes, not kept here)" : response.peekBody(MAX_LOGGED).string();
                for (String name : ANSWER_HEADERS) {
                    copy(response.header(name), name, headers);
                }
                if (!response.isSuccessful() && about != null && !download) {
                    about.errorSigned = signed(response, responseBody);
                }
                this.log.record(new ExchangeLog.Entry(ExchangeLog.Direction.OUTBOUND, request.method(), endpoint, headers,
                        requestBody, response.code(), responseBody, (System.nanoTime() - start) / 1_000_000, null,
                        started, outTradeNo, refundNo));
                return response;
            }
            catch (IOException | RuntimeException ex) {
                this.log.record(new ExchangeLog.Entry(ExchangeLog.Direction.OUTBOUND, request.method(), endpoint, headers,
                        requestBody, null, null, (System.nanoTime() - start) / 1_000_000, ex.toString(), started,
                        outTradeNo, refundNo));
                throw ex;
            }
        }

        private static void copy(@Nullable String value, String name, Map<String, String> headers) {
            if (value != null) {
                headers.put(name, value);
            }
        }

        /** A request's body as text (the SDK's are JSON), or {@code null} when it has none. */
        private static @Nullable String body(Request request) throws IOException {
            okhttp3.RequestBody body = request.body();
            if (body == null) {
                return null;
            }
            okio.Buffer buffer = new okio.Buffer();
            body.writeTo(buffer);
            return buffer.readUtf8();
        }
    }
}
