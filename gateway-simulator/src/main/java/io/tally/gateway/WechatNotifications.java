package io.tally.gateway;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;

import io.tally.channel.ChannelMessages.CreateTrade;
import io.tally.channel.ChannelMessages.Trade;

/**
 * WeChat Pay's payment notification ({@code TRANSACTION.SUCCESS}), as its SDK's {@code NotificationParser} reads
 * it: a JSON envelope whose {@code resource} is the transaction encrypted with AES-256-GCM under the merchant's API
 * v3 key (a 12-character nonce, {@code transaction} as associated data), signed over timestamp, nonce and body
 * with WeChat Pay's key in the {@code Wechatpay-*} headers. Each send is encrypted and signed afresh; the
 * envelope's {@code id} and {@code create_time} stay the same across sends. The merchant acknowledges with 200 or
 * 204; anything else is sent again on WeChat Pay's schedule ({@code gateway.wechat.notify-retry-delays}).
 */
@Component
class WechatNotifications implements NotificationFormat {

    private static final String SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048";

    private static final String ASSOCIATED_DATA = "transaction";

    private final WechatGateway.Wire wire;

    private final JsonMapper json;

    private final Clock clock;

    private final List<Duration> retryDelays;

    WechatNotifications(WechatGateway.Wire wire, JsonMapper json, Clock clock, WechatProperties properties) {
        this.wire = wire;
        this.json = json;
        this.clock = clock;
        this.retryDelays = List.copyOf(properties.notifyRetryDelays());
    }

    @Override
    public Protocol protocol() {
        return Protocol.WECHAT;
    }

    /**
     * One send of the notification.
     * @throws IllegalStateException when the trade's merchant has no API v3 key (the sender counts the send as
     * failed and tries again on its schedule)
     */
    @Override
    public Send send(Trade trade, CreateTrade request, long amount) {
        WechatGateway.Wire.Merchant merchant = this.wire.merchant(request.merchantId());
        if (merchant == null || merchant.apiV3Key() == null) {
            throw new IllegalStateException("WeChat Pay merchant " + request.merchantId()
                    + " has no API v3 key configured: its notifications cannot be encrypted");
        }
        String transaction = this.json.writeValueAsString(this.wire.transaction(trade, request, merchant.appid(), amount));
        String gcmNonce = this.wire.nonce(12);
        Map<String, Object> resource = new LinkedHashMap<>();
        resource.put("original_type", "transaction");
        resource.put("algorithm", "AEAD_AES_256_GCM");
        resource.put("ciphertext", encrypt(merchant.apiV3Key(), gcmNonce, transaction));
        resource.put("associated_data", ASSOCIATED_DATA);
        resource.put("nonce", gcmNonce);
        Map<String, Object> envelope = new LinkedHashMap<>();
        // the same notification keeps its id: derived from the trade, not drawn per send
        envelope.put("id", UUID.nameUUIDFromBytes(("TRANSACTION.SUCCESS:" + trade.tradeNo()).getBytes(StandardCharsets.UTF_8))
            .toString());
        envelope.put("create_time", WechatGateway.Wire.time(trade.paidAt() != null ? trade.paidAt() : this.clock.instant()));
        envelope.put("resource_type", "encrypt-resource");
        envelope.put("event_type", "TRANSACTION.SUCCESS");
        envelope.put("summary", "支付成功");
        envelope.put("resource", resource);
        String body = this.json.writeValueAsString(envelope);
        String timestamp = Long.toString(this.clock.instant().getEpochSecond());
        String nonce = this.wire.nonce(32);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Wechatpay-Serial", this.wire.publicKeyId());
        headers.put("Wechatpay-Signature", this.wire.sign(timestamp, nonce, body));
        headers.put("Wechatpay-Timestamp", timestamp);
        headers.put("Wechatpay-Nonce", nonce);
        headers.put("Wechatpay-Signature-Type", SIGNATURE_TYPE);
        return new Send(MediaType.APPLICATION_JSON_VALUE, headers, body);
    }

    /** WeChat Pay stops when the merchant answers 200 or 204 (the body is not read). */
    @Override
    public boolean acknowledged(int status, String body) {
        return status == 200 || status == 204;
    }

    @Override
    public List<Duration> retryDelays() {
        return this.retryDelays;
    }

    /** AEAD_AES_256_GCM: the base64 of ciphertext and tag, as WeChat Pay's {@code resource.ciphertext}. */
    private static String encrypt(String apiV3Key, String nonce, String plaintext) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(apiV3Key.getBytes(StandardCharsets.UTF_8), "AES"),
                    new GCMParameterSpec(128, nonce.getBytes(StandardCharsets.UTF_8)));
            cipher.updateAAD(ASSOCIATED_DATA.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8)));
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("Cannot encrypt with AES-256-GCM", ex);
        }
    }
}
