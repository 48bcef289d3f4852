package io.tally.payment.channel;

import org.jspecify.annotations.Nullable;

/**
 * A trade the channel opened for a payment.
 *
 * @param tradeNo the channel's own number of the trade, when it gives one at once (the simulator does; Alipay and
 * WeChat Pay give theirs only with the payment, in the notification or a query)
 * @param payCode what the user pays with: the QR code's content (Alipay's {@code qr_code}, WeChat Pay's
 * {@code code_url}) or the address of the payment page
 */
public record OpenedTrade(@Nullable String tradeNo, String payCode) {
}
