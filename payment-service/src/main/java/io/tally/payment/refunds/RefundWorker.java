package io.tally.payment.refunds;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClientException;

import io.tally.channel.ChannelMessages.Refund;
import io.tally.events.Events.PaymentRefunded;
import io.tally.outbox.Outbox;
import io.tally.payment.channel.Channels;
import io.tally.payment.payments.PaymentProperties;
import io.tally.payment.payments.Settlement;

/**
 * Issues refunds until the channel confirms them, always with the number derived from the payment. Due refunds
 * are scheduled in the database ({@code next_attempt_at}), so they survive restarts, and claimed with
 * {@code FOR UPDATE SKIP LOCKED} and a lease, so several instances never issue one refund at once. The channel is
 * called outside any transaction; what it answered is recorded in a transaction of its own.
 */
@Component
public class RefundWorker {

    private static final Logger log = LoggerFactory.getLogger(RefundWorker.class);

    private final RefundStore store;

    private final Settlement settlement;

    private final Outbox outbox;

    private final Channels channels;

    private final TransactionTemplate transaction;

    private final Clock clock;

    private final PaymentProperties properties;

    private final Counter flaggedRefunds;

    RefundWorker(RefundStore store, Settlement settlement, Outbox outbox, Channels channels,
            TransactionTemplate transaction, Clock clock, PaymentProperties properties, MeterRegistry meters) {
        this.store = store;
        this.settlement = settlement;
        this.outbox = outbox;
        this.channels = channels;
        this.transaction = transaction;
        this.clock = clock;
        this.properties = properties;
        this.flaggedRefunds = Counter.builder("tally.refund.flagged")
            .description("Refunds not confirmed after every attempt, or refused, flagged for an operator")
            .register(meters);
    }

    /** Issues the due refunds; answers how many. */
    int runRefunds() {
        Instant now = this.clock.instant();
        List<String> due = this.transaction.execute(status -> this.store.claim(now,
                now.plus(this.properties.lease()), this.properties.batch()));
        due.forEach(this::issue);
        return due.size();
    }

    /** Issues one refund now (the same number every time); answers what happened. */
    public RefundResult issue(String refundNo) {
        RefundStore.RefundTask task = this.store.task(refundNo).orElse(null);
        if (task == null || task.status() != RefundStatus.REQUESTED) {
            return RefundResult.of(RefundResult.Kind.NOT_PENDING);
        }
        Instant now = this.clock.instant();
        try {
            Refund refund = this.channels.ofPayment(task.paymentNo()).refund(task.paymentNo(), refundNo, task.amount(),
                    task.paymentAmount(), task.currency(), task.reason() != null ? task.reason() : "refund");
            this.transaction.executeWithoutResult(status -> confirmed(task, refund));
            return RefundResult.of(RefundResult.Kind.REFUNDED);
        }
        catch (HttpClientErrorException ex) {
            // The channel refused it: retrying the same request cannot help.
            String error = ex.getStatusCode() + " " + ex.getResponseBodyAsString();
            this.transaction.executeWithoutResult(status -> this.store.failed(refundNo, error, null, true, now));
            this.flaggedRefunds.increment();
            log.error("ALERT refund {} of payment {} refused by the channel ({}): flagged for an operator", refundNo,
                    task.paymentNo(), error);
            return new RefundResult(RefundResult.Kind.REFUSED, error);
        }
        catch (RestClientException ex) {
            int attempts = task.attempts() + 1;
            boolean flag = attempts >= this.properties.refundMaxAttempts();
            Instant next = flag ? null : now.plus(PaymentProperties.delay(this.properties.refundDelays(), attempts - 1));
            this.transaction.executeWithoutResult(
                    status -> this.store.failed(refundNo, String.valueOf(ex.getMessage()), next, flag, now));
            if (flag) {
                this.flaggedRefunds.increment();
                log.error("ALERT refund {} of payment {} failed {} times ({}): flagged for an operator", refundNo,
                        task.paymentNo(), attempts, ex.getMessage());
                return RefundResult.of(RefundResult.Kind.FAILED_FLAGGED);
            }
            log.warn("Refund {} of payment {} failed (attempt {}: {}); next attempt at {}", refundNo, task.paymentNo(),
                    attempts, ex.getMessage(), next);
            return new RefundResult(RefundResult.Kind.FAILED, String.valueOf(next));
        }
    }

    /**
     * The channel confirmed the refund (in the transaction {@link #issue} opens for it): it is recorded, the
     * payment is refunded, once.
     */
    private void confirmed(RefundStore.RefundTask task, Refund refund) {
        Instant now = this.clock.instant();
        if (!this.store.confirmed(task.refundNo(), refund.refundedAt())) {
            return;
        }
        this.settlement.refunded(task.paymentNo(), now);
        log.info("Refunded {} of payment {} (order {}) as {}", task.amount(), task.paymentNo(), task.orderNo(),
                task.refundNo());
        this.outbox.publish(task.orderNo(),
                new PaymentRefunded(task.paymentNo(), task.orderNo(), task.refundNo(), task.amount()));
    }
}
