package io.tally.gateway;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

import org.springframework.stereotype.Component;

import io.tally.channel.ChannelMessages.CreateTrade;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.channel.Signatures;

/**
 * Alipay's asynchronous notification (异步通知) of a paid trade: a form-encoded POST ({@code trade_status_sync})
 * signed RSA2 over its sorted parameters without {@code sign} and {@code sign_type}, as
 * {@code AlipaySignature.rsaCheckV1} verifies it. Alipay stops sending only when the merchant answers HTTP 200 with
 * the seven characters {@code success}; {@code notify_time} and the signature are fresh on each send, and
 * {@code notify_id} stays the same.
 * <p>
 * It also keeps when each Alipay trade was created ({@code gmt_create}), which the simulator's trades do not keep and
 * the notifications and the bills both state.
 */
@Component
class AlipayNotifications implements NotificationFormat {

    /** The content type Alipay posts notifications with. */
    static final String CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8";

    /** The simulated buyer (every trade is paid by the same one). */
    static final String BUYER_USER_ID = "2088102177846880";

    /** The simulated buyer's masked logon id. */
    static final String BUYER_LOGON_ID = "sim***@example.com";

    private final PrivateKey key;

    private final AlipayProperties properties;

    private final Clock clock;

    private final Map<String, Instant> created = new ConcurrentHashMap<>();

    AlipayNotifications(ChannelKeys channelKeys, AlipayProperties properties, Clock clock) {
        this.key = properties.keyPair(channelKeys).getPrivate();
        this.properties = properties;
        this.clock = clock;
    }

    @Override
    public Protocol protocol() {
        return Protocol.ALIPAY;
    }

    /**
     * The notification that the trade is paid. Its amounts are {@code amount} (which a fault may have made differ
     * from the trade's, still signed), {@code fund_bill_list} is HTML-escaped as Alipay sends it (and signs it so).
     */
    @Override
    public Send send(Trade trade, CreateTrade request, long amount) {
        Instant now = this.clock.instant();
        Instant paidAt = trade.paidAt() != null ? trade.paidAt() : now;
        Instant createdAt = this.created.getOrDefault(trade.outTradeNo(), paidAt);
        String yuan = AlipayGateway.yuan(amount);
        Map<String, String> params = new TreeMap<>();
        params.put("notify_time", AlipayGateway.time(now));
        params.put("notify_type", "trade_status_sync");
        params.put("notify_id", notifyId(trade.tradeNo()));
        params.put("app_id", request.merchantId());
        params.put("auth_app_id", request.merchantId());
        params.put("charset", "utf-8");
        params.put("version", "1.0");
        params.put("sign_type", "RSA2");
        params.put("trade_no", trade.tradeNo());
        params.put("out_trade_no", trade.outTradeNo());
        params.put("trade_status", "TRADE_SUCCESS");
        params.put("total_amount", yuan);
        params.put("receipt_amount", yuan);
        params.put("buyer_pay_amount", yuan);
        params.put("invoice_amount", yuan);
        params.put("point_amount", "0.00");
        params.put("fund_bill_list", "[{&quot;amount&quot;:&quot;" + yuan
                + "&quot;,&quot;fundChannel&quot;:&quot;ALIPAYACCOUNT&quot;}]");
        AlipayProperties.App app = this.properties.app(request.merchantId());
        if (app != null) {
            params.put("seller_id", app.sellerId());
        }
        params.put("buyer_id", BUYER_USER_ID);
        params.put("buyer_logon_id", BUYER_LOGON_ID);
        params.put("gmt_create", AlipayGateway.time(createdAt));
        params.put("gmt_payment", AlipayGateway.time(paidAt));
        params.put("subject", request.subject());
        params.put("sign", Signatures.sign(AlipayGateway.signContent(params, Set.of("sign", "sign_type")), this.key));
        StringJoiner body = new StringJoiner("&");
        params.forEach((name, value) -> body.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return new Send(CONTENT_TYPE, Map.of(), body.toString());
    }

    /** Only HTTP 200 with exactly {@code success} stops Alipay (not {@code SUCCESS}, not with a new line). */
    @Override
    public boolean acknowledged(int status, String body) {
        return status == 200 && "success".equals(body);
    }

    @Override
    public List<Duration> retryDelays() {
        return this.properties.notifyRetryDelays();
    }

    /** Records when an Alipay trade was created (the first time only). */
    void created(String outTradeNo, Instant at) {
        this.created.putIfAbsent(outTradeNo, at);
    }

    /** When the Alipay trade was created, or {@code null} when this simulator did not create it. */
    @Nullable Instant createdAt(String outTradeNo) {
        return this.created.get(outTradeNo);
    }

    /** The notification's id: one per trade, the same for every send and copy (as Alipay's). */
    private static String notifyId(String tradeNo) {
        return "2" + UUID.nameUUIDFromBytes(("alipay-notify:" + tradeNo).getBytes(StandardCharsets.UTF_8)).toString()
            .replace("-", "");
    }
}
