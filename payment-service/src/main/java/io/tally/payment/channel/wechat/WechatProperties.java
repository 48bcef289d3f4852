package io.tally.payment.channel.wechat;

import java.net.URI;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.io.Resource;

/**
 * WeChat Pay API v3 as the merchant sees it, in public-key mode: requests signed with the merchant's API key,
 * answers and notifications verified with WeChat Pay's public key (no platform certificates are downloaded).
 * Bound whether or not the channel is enabled; {@link WechatChannel} checks what it needs when it starts.
 *
 * @param enabled whether payments can go through WeChat Pay
 * @param baseUrl where WeChat Pay's API answers: its own address, or another (a simulator) that the SDK's requests
 * are rewritten to (scheme, host and port only: the SDK signs the path, which must stay as it is)
 * @param mchid our merchant id ({@code mchid}), which our requests and WeChat Pay's notifications name
 * @param appid the app our trades are paid in, which WeChat Pay's notifications must name
 * @param merchantSerialNumber the serial number of our API certificate, which our requests name
 * @param merchantPrivateKey our API private key (PKCS#8 PEM), which signs our requests
 * @param publicKeyId the id of WeChat Pay's public key ({@code PUB_KEY_ID_...}); an answer or notification signed
 * under another id is refused
 * @param publicKey WeChat Pay's public key (X.509 PEM), which verifies its answers and notifications
 * @param apiV3Key our API v3 key (32 bytes), which decrypts notifications; a secret, configured, never built in
 * @param notifyUrl where WeChat Pay sends payment notifications
 * @param timeout connect, read and write timeout of a call to WeChat Pay
 */
@ConfigurationProperties("payment.wechat")
public record WechatProperties(@DefaultValue("false") boolean enabled,
        @DefaultValue("https://api.mch.weixin.qq.com") URI baseUrl, @Nullable String mchid, @Nullable String appid,
        @Nullable String merchantSerialNumber, @Nullable Resource merchantPrivateKey, @Nullable String publicKeyId,
        @Nullable Resource publicKey, @Nullable String apiV3Key,
        @DefaultValue("http://127.0.0.1:8083/api/payments/callbacks/wechat") String notifyUrl,
        @DefaultValue("5s") Duration timeout) {

    /** Hides the API v3 key, which must not reach a log through this record's text. */
    @Override
    public String toString() {
        return "WechatProperties[enabled=" + this.enabled + ", baseUrl=" + this.baseUrl + ", mchid=" + this.mchid
                + ", appid=" + this.appid + ", merchantSerialNumber=" + this.merchantSerialNumber
                + ", merchantPrivateKey=" + this.merchantPrivateKey + ", publicKeyId=" + this.publicKeyId
                + ", publicKey=" + this.publicKey + ", apiV3Key=" + (this.apiV3Key == null ? null : "(hidden)")
                + ", notifyUrl=" + this.notifyUrl + ", timeout=" + this.timeout + "]";
    }
}
