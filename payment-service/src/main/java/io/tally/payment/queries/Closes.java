package io.tally.payment.queries;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.client.RestClientException;

import io.tally.channel.ChannelMessages;
import io.tally.channel.ChannelMessages.CloseOutcome;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.payment.channel.Channels;
import io.tally.payment.channel.PaymentChannel;
import io.tally.payment.payments.PaymentProperties;

/**
 * Closes the trades of cancelled orders, after the cancellation committed. Due closes are scheduled in the
 * database ({@link CloseSchedule}), so they survive restarts, and claimed with {@code FOR UPDATE SKIP LOCKED} and
 * a lease, so several instances never close one trade at once. The channel is asked outside any transaction; its
 * answer is applied in a transaction of its own ({@link ChannelAnswers#applyClose}); a close that gets no usable
 * answer is tried again on its backoff, for as long as it takes (until then the trade is open).
 */
@Component
class Closes {

    private static final Logger log = LoggerFactory.getLogger(Closes.class);

    private final CloseSchedule schedule;

    private final ChannelAnswers answers;

    private final Channels channels;

    private final TransactionTemplate transaction;

    private final Clock clock;

    private final PaymentProperties properties;

    private final Counter failedCloses;

    Closes(CloseSchedule schedule, ChannelAnswers answers, Channels channels, TransactionTemplate transaction,
            Clock clock, PaymentProperties properties, MeterRegistry meters) {
        this.schedule = schedule;
        this.answers = answers;
        this.channels = channels;
        this.transaction = transaction;
        this.clock = clock;
        this.properties = properties;
        this.failedCloses = Counter.builder("tally.payment.close.failures")
            .description("Closes of a cancelled order's trade that got no usable answer from the channel (each is tried again)")
            .register(meters);
    }

    /** Closes the due trades of cancelled orders; answers how many. */
    int runCloses() {
        Instant now = this.clock.instant();
        List<String> due = this.transaction.execute(status -> this.schedule.claim(now,
                now.plus(this.properties.lease()), this.properties.batch()));
        due.forEach(this::close);
        return due.size();
    }

    /**
     * Closes the trade of a payment whose order was cancelled, outside any transaction, then applies the answer
     * in a transaction of its own; a close that gets no usable answer is tried again on the backoff.
     * @return what was done
     */
    TradeCloseResult close(String paymentNo) {
        ChannelMessages.CloseResult answer;
        Trade trade = null;
        try {
            PaymentChannel channel = this.channels.ofPayment(paymentNo);
            answer = channel.close(paymentNo, this.channels.expiryOf(paymentNo));
            if (answer.outcome() == CloseOutcome.ALREADY_PAID) {
                trade = channel.query(paymentNo);
            }
        }
        catch (RestClientException ex) {
            return failed(paymentNo, new TradeCloseResult(TradeCloseResult.Kind.FAILED, String.valueOf(ex.getMessage())));
        }
        TradeCloseResult done = this.answers.applyClose(paymentNo, answer.outcome(), trade);
        if (!done.kind().done()) {
            return failed(paymentNo, done);
        }
        log.info("Close of payment {}: {}", paymentNo, done);
        return done;
    }

    private TradeCloseResult failed(String paymentNo, TradeCloseResult why) {
        Instant now = this.clock.instant();
        int attempts = this.schedule.attempts(paymentNo) + 1;
        Instant next = now.plus(PaymentProperties.delay(this.properties.closeDelays(), attempts - 1));
        this.transaction.executeWithoutResult(status -> this.schedule.failed(paymentNo, next));
        this.failedCloses.increment();
        log.warn("Close {} of payment {} failed ({}); next attempt at {}", attempts, paymentNo, why, next);
        return why;
    }
}
