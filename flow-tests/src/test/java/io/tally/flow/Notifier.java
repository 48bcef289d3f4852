package io.tally.flow;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import tools.jackson.databind.json.JsonMapper;

import io.tally.channel.ChannelHeaders;
import io.tally.channel.ChannelMessages.Notification;
import io.tally.channel.Signatures;

/**
 * Writes a payment notification as each channel sends it, signed with a key the test chooses: the channel's own
 * (a notification the channel could have sent, whatever it says) or another (a forgery). Written here from the
 * channels' documentation, apart from the simulator's code, so that a test does not agree with the simulator by
 * sharing its mistakes.
 * <ul>
 * <li>simulator: JSON, headers of timestamp, nonce and the SHA256withRSA signature of both and the body;
 * <li>alipay: form-encoded parameters signed RSA2 over the sorted {@code k=v} pairs without {@code sign} and
 * {@code sign_type}; amounts in yuan;
 * <li>wechat: JSON whose {@code resource} is the transaction encrypted with AES-256-GCM under the API v3 key,
 * with the {@code Wechatpay-*} headers signing timestamp, nonce and body.
 * </ul>
 */
final class Notifier {

    private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");

    private static final DateTimeFormatter ALIPAY_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(SHANGHAI);

    private final JsonMapper json = JsonMapper.builder().build();

    private final String wechatAppid;

    private final String wechatPublicKeyId;

    private final String wechatApiV3Key;

    private final String alipaySellerId;

    Notifier(String alipaySellerId, String wechatAppid, String wechatPublicKeyId, String wechatApiV3Key) {
        this.alipaySellerId = alipaySellerId;
        this.wechatAppid = wechatAppid;
        this.wechatPublicKeyId = wechatPublicKeyId;
        this.wechatApiV3Key = wechatApiV3Key;
    }

    /**
     * A notification as sent.
     * @param path the callback endpoint's path at payment-service
     */
    record Sent(String path, String contentType, Map<String, String> headers, String body) {
    }

    /** The notification as {@code channel} sends it, signed with {@code key}, stamped {@code at}. */
    Sent write(String channel, Notification n, PrivateKey key, Instant at, String nonce) {
        return switch (channel) {
            case "simulator" -> simulator(n, key, at, nonce);
            case "alipay" -> alipay(n, key, at);
            case "wechat" -> wechat(n, key, at, nonce);
            default -> throw new IllegalArgumentException("No channel " + channel);
        };
    }

    /** The same, stamped now with a fresh nonce. */
    Sent write(String channel, Notification n, PrivateKey key) {
        return write(channel, n, key, Instant.now(), UUID.randomUUID().toString().replace("-", ""));
    }

    private Sent simulator(Notification n, PrivateKey key, Instant at, String nonce) {
        String body = this.json.writeValueAsString(n);
        String timestamp = Long.toString(at.getEpochSecond());
        return new Sent("/api/payments/callbacks", "application/json",
                Map.of(ChannelHeaders.TIMESTAMP, timestamp, ChannelHeaders.NONCE, nonce, ChannelHeaders.SIGNATURE,
                        Signatures.sign(Signatures.callbackText(timestamp, nonce, body), key)),
                body);
    }

    /** Alipay's asynchronous notification: {@code merchantId} is the app id; the seller is ours. */
    private Sent alipay(Notification n, PrivateKey key, Instant at) {
        Map<String, String> params = new TreeMap<>();
        params.put("notify_time", ALIPAY_TIME.format(at));
        params.put("notify_type", "trade_status_sync");
        params.put("notify_id", n.notificationId());
        params.put("app_id", n.merchantId());
        params.put("charset", "utf-8");
        params.put("version", "1.0");
        params.put("trade_no", n.tradeNo());
        params.put("out_trade_no", n.outTradeNo());
        params.put("trade_status", n.tradeStatus());
        params.put("total_amount", yuan(n.amount()));
        params.put("receipt_amount", yuan(n.amount()));
        params.put("buyer_pay_amount", yuan(n.amount()));
        params.put("seller_id", this.alipaySellerId);
        params.put("gmt_create", ALIPAY_TIME.format(n.paidAt()));
        params.put("gmt_payment", ALIPAY_TIME.format(n.paidAt()));
        params.put("subject", "Order");
        StringBuilder content = new StringBuilder();
        params.forEach((name, value) -> content.append(content.isEmpty() ? "" : "&").append(name).append('=').append(value));
        Map<String, String> all = new LinkedHashMap<>(params);
        all.put("sign_type", "RSA2");
        all.put("sign", Signatures.sign(content.toString(), key));
        StringBuilder form = new StringBuilder();
        all.forEach((name, value) -> form.append(form.isEmpty() ? "" : "&").append(name).append('=')
            .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return new Sent("/api/payments/callbacks/alipay", "application/x-www-form-urlencoded; charset=utf-8", Map.of(),
                form.toString());
    }

    /** WeChat Pay's notification of a transaction: {@code merchantId} is the mchid; the app is ours. */
    private Sent wechat(Notification n, PrivateKey key, Instant at, String nonce) {
        Map<String, Object> transaction = new LinkedHashMap<>();
        transaction.put("appid", this.wechatAppid);
        transaction.put("mchid", n.merchantId());
        transaction.put("out_trade_no", n.outTradeNo());
        transaction.put("transaction_id", n.tradeNo());
        transaction.put("trade_type", "NATIVE");
        transaction.put("trade_state", Notification.TRADE_SUCCESS.equals(n.tradeStatus()) ? "SUCCESS" : n.tradeStatus());
        transaction.put("trade_state_desc", "支付成功");
        transaction.put("bank_type", "OTHERS");
        transaction.put("attach", "");
        transaction.put("success_time", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(n.paidAt().atZone(SHANGHAI)));
        transaction.put("payer", Map.of("openid", "o-test-payer"));
        transaction.put("amount", Map.of("total", n.amount(), "payer_total", n.amount(), "currency", n.currency(),
                "payer_currency", n.currency()));
        String gcmNonce = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String associated = "transaction";
        Map<String, Object> resource = new LinkedHashMap<>();
        resource.put("original_type", "transaction");
        resource.put("algorithm", "AEAD_AES_256_GCM");
        resource.put("ciphertext", encrypt(this.json.writeValueAsString(transaction), gcmNonce, associated));
        resource.put("associated_data", associated);
        resource.put("nonce", gcmNonce);
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("id", n.notificationId());
        envelope.put("create_time", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(at.atZone(SHANGHAI)));
        envelope.put("resource_type", "encrypt-resource");
        envelope.put("event_type", "TRANSACTION.SUCCESS");
        envelope.put("summary", "支付成功");
        envelope.put("resource", resource);
        String body = this.json.writeValueAsString(envelope);
        String timestamp = Long.toString(at.getEpochSecond());
        return new Sent("/api/payments/callbacks/wechat", "application/json",
                Map.of("Wechatpay-Serial", this.wechatPublicKeyId, "Wechatpay-Timestamp", timestamp, "Wechatpay-Nonce",
                        nonce, "Wechatpay-Signature", Signatures.sign(Signatures.callbackText(timestamp, nonce, body), key),
                        "Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048"),
                body);
    }

    private String encrypt(String plain, String nonce, String associated) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(this.wechatApiV3Key.getBytes(StandardCharsets.UTF_8), "AES"),
                    new GCMParameterSpec(128, nonce.getBytes(StandardCharsets.UTF_8)));
            cipher.updateAAD(associated.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8)));
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Minor units as yuan with two decimals, exactly. */
    static String yuan(long minor) {
        return java.math.BigDecimal.valueOf(minor, 2).toPlainString();
    }
}
