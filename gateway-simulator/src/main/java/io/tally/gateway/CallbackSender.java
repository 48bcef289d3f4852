package io.tally.gateway;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

import io.tally.channel.ChannelMessages.CreateTrade;
import io.tally.channel.ChannelMessages.Trade;

/**
 * Sends the notifications of paid trades asynchronously, in the protocol of each trade ({@link NotificationFormat}),
 * each send signed afresh, and sends again on the protocol's schedule until the merchant acknowledges. The
 * notification's own id stays the same across sends and copies, as at Alipay and WeChat Pay.
 */
@Component
class CallbackSender {

    private static final Logger log = LoggerFactory.getLogger(CallbackSender.class);

    private final ScheduledExecutorService scheduler;

    private final RestClient http;

    private final Trades trades;

    private final Map<Protocol, NotificationFormat> formats = new EnumMap<>(Protocol.class);

    private final List<Runnable> held = new ArrayList<>();

    CallbackSender(Trades trades, List<NotificationFormat> formats, GatewayProperties properties) {
        this.scheduler = Executors.newScheduledThreadPool(properties.callbackSenders(),
                Thread.ofPlatform().name("gateway-callback-", 0).daemon().factory());
        HttpClient client = HttpClient.newBuilder().connectTimeout(properties.callbackTimeout()).build();
        JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(client);
        factory.setReadTimeout(properties.callbackTimeout());
        this.http = RestClient.builder().requestFactory(factory).build();
        this.trades = trades;
        formats.forEach(format -> this.formats.put(format.protocol(), format));
    }

    /** Schedules the callbacks of a trade just paid, as the plan says. */
    void paid(Trade trade, Faults.CallbackPlan plan) {
        this.trades.planned(trade.outTradeNo(), plan);
        if (!plan.send()) {
            log.info("Trade {} captured without callback (fault injected)", trade.outTradeNo());
            return;
        }
        CreateTrade request = this.trades.request(trade.outTradeNo());
        NotificationFormat format = this.formats.get(this.trades.protocol(trade.outTradeNo()));
        long amount = plan.tamper() ? trade.amount() + 1 : trade.amount();
        Notice notice = new Notice(format, trade, request, amount);
        Runnable start = () -> {
            for (int copy = 0; copy < plan.copies(); copy++) {
                this.scheduler.execute(() -> send(notice, 0));
            }
        };
        if (plan.reorder()) {
            synchronized (this.held) {
                this.held.add(() -> {
                    for (int copy = 0; copy < plan.copies(); copy++) {
                        send(notice, 0);
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

    private void send(Notice notice, int attempt) {
        String outTradeNo = notice.trade().outTradeNo();
        boolean success;
        String answer;
        try {
            NotificationFormat.Send send = notice.format().send(notice.trade(), notice.request(), notice.amount());
            int[] status = new int[1];
            answer = this.http.post()
                .uri(notice.request().notifyUrl())
                .headers(headers -> send.headers().forEach(headers::set))
                .header("Content-Type", send.contentType())
                .body(send.body())
                .exchange((request, response) -> {
                    status[0] = response.getStatusCode().value();
                    return new String(response.getBody().readAllBytes(), StandardCharsets.UTF_8);
                });
            success = notice.format().acknowledged(status[0], answer);
            answer = status[0] + " " + answer.trim();
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
        List<java.time.Duration> delays = notice.format().retryDelays();
        if (attempt >= delays.size()) {
            log.warn("Callback for {} not acknowledged after {} sends (last answer: {}); giving up", outTradeNo,
                    attempt + 1, answer);
            return;
        }
        java.time.Duration delay = delays.get(attempt);
        log.info("Callback for {} not acknowledged (send {}: {}); next send in {}", outTradeNo, attempt + 1, answer,
                delay);
        this.scheduler.schedule(() -> send(notice, attempt + 1), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        this.scheduler.shutdownNow();
    }

    /** A notification to send: in which format, of which trade, stating which amount. */
    private record Notice(NotificationFormat format, Trade trade, CreateTrade request, long amount) {
    }
}
