package io.tally.gateway;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;

import io.tally.channel.ChannelHeaders;
import io.tally.channel.ChannelMessages.CreateTrade;
import io.tally.channel.ChannelMessages.Notification;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.channel.Signatures;

/** The simulator's own notifications: signed JSON, answered {@code success}. */
@Component
class TallyNotifications implements NotificationFormat {

    private final ChannelKeys keys;

    private final JsonMapper json;

    private final Clock clock;

    private final List<Duration> retryDelays;

    TallyNotifications(ChannelKeys keys, JsonMapper json, Clock clock, GatewayProperties properties) {
        this.keys = keys;
        this.json = json;
        this.clock = clock;
        this.retryDelays = properties.callbackRetryDelays();
    }

    @Override
    public Protocol protocol() {
        return Protocol.TALLY;
    }

    @Override
    public Send send(Trade trade, CreateTrade request, long amount) {
        Notification notification = new Notification("N" + trade.tradeNo(), request.merchantId(),
                trade.outTradeNo(), trade.tradeNo(), amount, trade.currency(), Notification.TRADE_SUCCESS,
                trade.paidAt());
        String body = this.json.writeValueAsString(notification);
        String timestamp = Long.toString(this.clock.instant().getEpochSecond());
        String nonce = UUID.randomUUID().toString();
        return new Send(MediaType.APPLICATION_JSON_VALUE,
                Map.of(ChannelHeaders.TIMESTAMP, timestamp, ChannelHeaders.NONCE, nonce, ChannelHeaders.SIGNATURE,
                        Signatures.sign(Signatures.callbackText(timestamp, nonce, body), this.keys.privateKey())),
                body);
    }

    @Override
    public boolean acknowledged(int status, String body) {
        return status == 200 && ChannelHeaders.CALLBACK_SUCCESS.equals(body.trim());
    }

    @Override
    public List<Duration> retryDelays() {
        return this.retryDelays;
    }
}
