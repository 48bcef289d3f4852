package io.tally.gateway;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.MediaType;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

import io.tally.channel.ChannelHeaders;
import io.tally.channel.ChannelMessages.CreateTrade;
import io.tally.channel.ChannelMessages.Notification;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.channel.Signatures;

/**
 * Sends signed callbacks asynchronously, each send with a fresh timestamp and nonce, and retries a send on the
 * configured schedule until the merchant answers {@code success}. The notification id stays the same across
 * retries and copies, as at Alipay.
 */
@Component
class CallbackSender {

    private static final Logger log = LoggerFactory.getLogger(CallbackSender.class);

    private final ScheduledExecutorService scheduler;

    private final RestClient http;

    private final ChannelKeys keys;

    private final Trades trades;

    private final JsonMapper json;

    private final Clock clock;

    private final List<Duration> retryDelays;

    private final List<Runnable> held = new ArrayList<>();

    CallbackSender(ChannelKeys keys, Trades trades, JsonMapper json, Clock clock, GatewayProperties properties) {
        this.scheduler = Executors.newScheduledThreadPool(properties.callbackSenders(),
                Thread.ofPlatform().name("gateway-callback-", 0).daemon().factory());
        HttpClient client = HttpClient.newBuilder().connectTimeout(properties.callbackTimeout()).build();
        JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(client);
        factory.setReadTimeout(properties.callbackTimeout());
        this.http = RestClient.builder().requestFactory(factory).build();
        this.keys = keys;
        this.trades = trades;
        this.json = json;
        this.clock = clock;
        this.retryDelays = properties.callbackRetryDelays();
    }

    /** Schedules the callbacks of a trade just paid, as the plan says. */
    void paid(Trade trade, Faults.CallbackPlan plan) {
        this.trades.planned(trade.outTradeNo(), plan);
        if (!plan.send()) {
            log.info("Trade {} captured without callback (fault injected)", trade.outTradeNo());
            return;
        }
        CreateTrade request = this.trades.request(trade.outTradeNo());
        String notifyUrl = request.notifyUrl();
        long amount = plan.tamper() ? trade.amount() + 1 : trade.amount();
        Notification notification = new Notification("N" + trade.tradeNo(), request.merchantId(),
                trade.outTradeNo(), trade.tradeNo(), amount, trade.currency(), Notification.TRADE_SUCCESS,
                trade.paidAt());
        String body = this.json.writeValueAsString(notification);
        Runnable start = () -> {
            for (int copy = 0; copy < plan.copies(); copy++) {
                this.scheduler.execute(() -> send(notifyUrl, trade.outTradeNo(), body, 0));
            }
        };
        if (plan.reorder()) {
            synchronized (this.held) {
                this.held.add(() -> {
                    for (int copy = 0; copy < plan.copies(); copy++) {
                        send(notifyUrl, trade.outTradeNo(), body, 0);
                    }
                });
            }
            if (plan.releaseHeld()) {
                releaseHeld();
            }
            return;
        }
        this.scheduler.schedule(start, plan.delayMs(), TimeUnit.MILLISECONDS);
    }

    /** Sends the held (reordered) callbacks at once, the last held first (their delay does not apply). */
    int releaseHeld() {
        List<Runnable> release;
        synchronized (this.held) {
            release = new ArrayList<>(this.held);
            this.held.clear();
        }
        // one after the other on one thread, the last held first
        this.scheduler.execute(() -> {
            for (int i = release.size() - 1; i >= 0; i--) {
                release.get(i).run();
            }
        });
        return release.size();
    }

    private void send(String url, String outTradeNo, String body, int attempt) {
        String timestamp = Long.toString(this.clock.instant().getEpochSecond());
        String nonce = UUID.randomUUID().toString();
        boolean success;
        String answer;
        try {
            answer = this.http.post()
                .uri(url)
                .contentType(MediaType.APPLICATION_JSON)
                .header(ChannelHeaders.TIMESTAMP, timestamp)
                .header(ChannelHeaders.NONCE, nonce)
                .header(ChannelHeaders.SIGNATURE,
                        Signatures.sign(Signatures.callbackText(timestamp, nonce, body), this.keys.privateKey()))
                .body(body)
                .exchange((request, response) -> response.getStatusCode().value() + " "
                        + new String(response.getBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim());
            success = ("200 " + ChannelHeaders.CALLBACK_SUCCESS).equals(answer);
        }
        catch (RuntimeException ex) {
            answer = ex.getClass().getSimpleName() + ": " + ex.getMessage();
            success = false;
        }
        this.trades.callbackSent(outTradeNo);
        if (success) {
            log.debug("Callback for {} acknowledged on send {}", outTradeNo, attempt + 1);
            return;
        }
        if (attempt >= this.retryDelays.size()) {
            log.warn("Callback for {} not acknowledged after {} sends (last answer: {}); giving up", outTradeNo,
                    attempt + 1, answer);
            return;
        }
        Duration delay = this.retryDelays.get(attempt);
        log.info("Callback for {} not acknowledged (send {}: {}); next send in {}", outTradeNo, attempt + 1, answer,
                delay);
        this.scheduler.schedule(() -> send(url, outTradeNo, body, attempt + 1), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        this.scheduler.shutdownNow();
    }
}
