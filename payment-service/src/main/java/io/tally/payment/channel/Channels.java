package io.tally.payment.channel;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.web.client.ResourceAccessException;

/**
 * The payment channels this service is configured for, by name, and the channel of each payment. A payment names
 * its channel when it is made ({@code channel} in {@code POST /api/payments}, or {@code payment.default-channel});
 * everything done for it afterwards (queries, closes, refunds, its notifications) goes to that channel.
 */
@Component
public class Channels {

    private final Map<String, PaymentChannel> byName = new TreeMap<>();

    private final String defaultChannel;

    private final JdbcClient jdbc;

    Channels(List<PaymentChannel> channels, @Value("${payment.default-channel:simulator}") String defaultChannel,
            JdbcClient jdbc, @Value("${payment.reconciliation.zone:UTC}") java.time.ZoneId reconciliationZone) {
        for (PaymentChannel channel : channels) {
            if (this.byName.put(channel.name(), channel) != null) {
                throw new IllegalStateException("Two payment channels are named " + channel.name());
            }
        }
        if (!this.byName.containsKey(defaultChannel)) {
            throw new IllegalStateException("payment.default-channel is " + defaultChannel
                    + ", which is not enabled; enabled: " + this.byName.keySet());
        }
        this.defaultChannel = defaultChannel;
        this.jdbc = jdbc;
        java.time.ZoneId beijing = java.time.ZoneId.of("Asia/Shanghai");
        if ((this.byName.containsKey("alipay") || this.byName.containsKey("wechat"))
                && !reconciliationZone.normalized().equals(beijing.normalized())
                && !reconciliationZone.getRules().equals(beijing.getRules())) {
            org.slf4j.LoggerFactory.getLogger(Channels.class).warn("ALERT Alipay and WeChat Pay cut their bills at "
                    + "midnight Asia/Shanghai, and reconciliation compares the days of {} (payment.reconciliation.zone, "
                    + "BUSINESS_ZONE): set it to Asia/Shanghai, or a day's payments will be compared with the wrong bill",
                    reconciliationZone);
        }
    }

    /**
     * The channel of this name, or the default one when {@code name} is {@code null}.
     * @throws UnknownChannelException when no channel of that name is enabled
     */
    public PaymentChannel named(@Nullable String name) {
        PaymentChannel channel = this.byName.get(name != null ? name : this.defaultChannel);
        if (channel == null) {
            throw new UnknownChannelException(name, this.byName.keySet());
        }
        return channel;
    }

    /**
     * The channel the payment was made through (a plain read, outside any lock).
     * @throws ResourceAccessException when the payment is unknown, or its channel is no longer enabled (as a channel
     * that cannot be reached: the caller retries, and flags it after its last attempt)
     */
    public PaymentChannel ofPayment(String paymentNo) {
        String name = this.jdbc.sql("SELECT channel FROM payment WHERE payment_no = ?").param(paymentNo)
            .query(String.class).optional()
            .orElseThrow(() -> new ResourceAccessException("No payment " + paymentNo));
        PaymentChannel channel = this.byName.get(name);
        if (channel == null) {
            // as a channel that cannot be reached: the query, close or refund is retried on its backoff and flagged
            // for an operator after its last attempt
            throw new ResourceAccessException("Payment " + paymentNo + " was made through " + name
                    + ", which is not enabled here: enable it again to settle the payment");
        }
        return channel;
    }

    /** The expiry the payment's trade was opened with (its payment deadline). */
    public Instant expiryOf(String paymentNo) {
        return this.jdbc.sql("SELECT expire_at FROM payment WHERE payment_no = ?").param(paymentNo)
            .query(java.time.LocalDateTime.class).optional()
            .map(io.tally.jdbc.SqlTime::instant)
            .orElseThrow(() -> new org.springframework.web.client.ResourceAccessException("No payment " + paymentNo));
    }

    /** Every enabled channel, by name. */
    public Collection<PaymentChannel> all() {
        return this.byName.values();
    }

    /** The channel a payment request that names none uses. */
    public String defaultChannel() {
        return this.defaultChannel;
    }
}
