package io.tally.payment.channel.alipay;

import java.net.URI;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.io.Resource;

/**
 * Alipay's open API as the merchant sees it, in public-key mode (公钥模式, not certificate mode): requests signed
 * RSA2 with our app's private key, answers, bills' links and notifications verified with Alipay's public key for
 * the app. Bound whether or not the channel is enabled; {@link AlipayChannel} checks what it needs when it starts.
 *
 * @param enabled whether payments can go through Alipay
 * @param serverUrl Alipay's gateway ({@code .../gateway.do}): production, the sandbox, or a simulator
 * @param appId our app's id, which our requests and Alipay's notifications name
 * @param sellerId our seller's user id (the merchant's PID, {@code 2088...}), which Alipay's notifications must
 * name and its bills' account begins with
 * @param appPrivateKey our app's private key (PKCS#8 PEM), which signs our requests
 * @param alipayPublicKey Alipay's public key for our app (支付宝公钥, X.509 PEM), which verifies its answers and
 * notifications
 * @param notifyUrl where Alipay sends payment notifications
 * @param timeout connect and read timeout of a call to Alipay (a bill's download may take twelve times as long)
 * @param product how the buyer pays: {@code QR} (当面付, {@code alipay.trade.precreate}: a QR code to scan) or
 * {@code PAGE} (电脑网站支付, {@code alipay.trade.page.pay}: a form that takes the buyer to Alipay's cashier)
 * @param expiryMargin how long after a trade's expiry Alipay's not knowing it (a QR code nobody scanned) means it
 * is closed, for clocks that differ
 */
@ConfigurationProperties("payment.alipay")
public record AlipayProperties(@DefaultValue("false") boolean enabled,
        @DefaultValue("https://openapi.alipay.com/gateway.do") URI serverUrl, @Nullable String appId,
        @Nullable String sellerId, @Nullable Resource appPrivateKey, @Nullable Resource alipayPublicKey,
        @DefaultValue("http://127.0.0.1:8083/api/payments/callbacks/alipay") String notifyUrl,
        @DefaultValue("5s") Duration timeout, @DefaultValue("QR") Product product,
        @DefaultValue("1m") Duration expiryMargin) {

    /** How the buyer pays. */
    public enum Product {
        /** 当面付 (face-to-face, precreate): the trade is created at once, the buyer scans its QR code. */
        QR,
        /**
         * 电脑网站支付 (page pay): a self-submitting form, built here and signed, takes the buyer to Alipay's cashier;
         * Alipay knows the trade only once the buyer's browser has submitted it.
         */
        PAGE
    }
}
