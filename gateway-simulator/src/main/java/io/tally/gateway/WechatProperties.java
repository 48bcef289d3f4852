package io.tally.gateway;

import java.time.Duration;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.io.Resource;

/**
 * The simulator as WeChat Pay (API v3, public-key mode): the key that signs its answers and notifications, the id
 * merchants know that key by, and the merchants it serves.
 *
 * @param privateKeyLocation WeChat Pay's PKCS#8 PEM private key; when absent, the simulator's own key
 * ({@link ChannelKeys}) signs, so a merchant verifies with the key {@code GET /gateway/public-key} answers
 * @param publicKeyId the id of WeChat Pay's public key ({@code PUB_KEY_ID_...}), sent as {@code Wechatpay-Serial}
 * with every signed answer and notification; a merchant's SDK refuses a signature under another id
 * @param merchants the merchants that may call the v3 API
 * @param notifyRetryDelays the delays between sends of a notification the merchant did not acknowledge (WeChat Pay's
 * own schedule by default: 15 sends after the first, over about 24 hours)
 * @param refundsProcessing whether a refund first answers {@code PROCESSING} and is {@code SUCCESS} only when
 * queried or asked for again, as WeChat Pay's refunds are asynchronous (off: each refund answers {@code SUCCESS}
 * at once)
 */
@ConfigurationProperties("gateway.wechat")
record WechatProperties(@Nullable Resource privateKeyLocation,
        @DefaultValue("PUB_KEY_ID_0000000000000000000000000000000001") String publicKeyId,
        @DefaultValue List<Merchant> merchants,
        @DefaultValue({ "15s", "15s", "30s", "3m", "10m", "20m", "30m", "30m", "30m", "60m", "3h", "3h", "3h", "6h",
                "6h" }) List<Duration> notifyRetryDelays,
        @DefaultValue("false") boolean refundsProcessing) {

    /**
     * A merchant of WeChat Pay.
     *
     * @param mchid its merchant id ({@code mchid})
     * @param appid the app its trades are paid in; a request naming another is refused
     * @param serialNo the serial number of its API certificate, which its requests name as {@code serial_no}
     * @param publicKeyLocation its X.509 PEM public key, which verifies its requests
     * @param publicKey the same as text, instead of a location
     * @param apiV3Key its API v3 key (32 bytes), which encrypts its notifications; a secret, configured, never built
     * in
     */
    record Merchant(String mchid, @Nullable String appid, @Nullable String serialNo,
            @Nullable Resource publicKeyLocation, @Nullable String publicKey, @Nullable String apiV3Key) {

        /** Leaves the API v3 key out. */
        @Override
        public String toString() {
            return "Merchant[mchid=" + this.mchid + ", appid=" + this.appid + ", serialNo=" + this.serialNo
                    + ", publicKeyLocation=" + this.publicKeyLocation + "]";
        }
    }
}
