package io.tally.payment.payments;

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

import io.tally.channel.ChannelMessages.CloseOutcome;
import io.tally.channel.ChannelMessages.CloseResult;
import io.tally.channel.ChannelMessages.Refund;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.payment.channel.ChannelClient;

/**
 * What payment-service asks the channel on its own: active queries of payments without callback, closes of the
 * trades of cancelled orders, and refunds until the channel confirms them. All are scheduled in the database ({@code next_query_at},
 * {@code next_attempt_at}), so they survive restarts, and claimed with {@code FOR UPDATE SKIP LOCKED} and a lease,
 * so several instances never work on one payment or refund at once. A refund is always requested with the
 * number derived from its payment.
 */
@Component
public class ChannelChecks {

    private static final Logger log = LoggerFactory.getLogger(ChannelChecks.class);

    private final Payments payments;

    private final PaymentService service;

    private final ChannelClient channel;

    private final TransactionTemplate transaction;

    private final Clock clock;

    private final PaymentProperties properties;

    private final Counter flaggedPayments;

    private final Counter flaggedRefunds;

    private final Counter queries;

    private final Counter failedCloses;

    ChannelChecks(Payments payments, PaymentService service, ChannelClient channel, TransactionTemplate transaction,
            Clock clock, PaymentProperties properties, MeterRegistry meters) {
        this.payments = payments;
        this.service = service;
        this.channel = channel;
        this.transaction = transaction;
        this.clock = clock;
        this.properties = properties;
        this.flaggedPayments = Counter.builder("tally.payment.flagged")
            .description("Payments still unknown after every query, flagged for an operator")
            .register(meters);
        this.flaggedRefunds = Counter.builder("tally.refund.flagged")
            .description("Refunds not confirmed after every attempt, or refused, flagged for an operator")
            .register(meters);
        this.failedCloses = Counter.builder("tally.payment.close.failures")
            .description("Closes of a cancelled order's trade that got no usable answer from the channel (each is tried again)")
            .register(meters);
        this.queries = Counter.builder("tally.payment.queries")
            .description("Queries of a payment's trade asked of the channel by this instance")
            .register(meters);
    }

    /** Queries the due payments; answers how many. */
    int runQueries() {
        Instant now = this.clock.instant();
        List<String> due = this.transaction.execute(status -> this.payments.claimQueries(now,
                now.plus(this.properties.lease()), this.properties.batch()));
        due.forEach(this::query);
        return due.size();
    }

    /** Issues the due refunds; answers how many. */
    int runRefunds() {
        Instant now = this.clock.instant();
        List<String> due = this.transaction.execute(status -> this.payments.claimRefunds(now,
                now.plus(this.properties.lease()), this.properties.batch()));
        due.forEach(this::issue);
        return due.size();
    }

    /** Closes the due trades of cancelled orders; answers how many. */
    int runCloses() {
        Instant now = this.clock.instant();
        List<String> due = this.transaction.execute(status -> this.payments.claimCloses(now,
                now.plus(this.properties.lease()), this.properties.batch()));
        due.forEach(this::close);
        return due.size();
    }

    /**
     * Closes the trade of a payment whose order was cancelled, outside any transaction, then applies the answer
     * in a transaction of its own; a close that gets no usable answer is tried again on the backoff.
     * @return what was done
     */
    public String close(String paymentNo) {
        CloseResult answer;
        Trade trade = null;
        try {
            answer = this.channel.close(paymentNo);
            if (answer.outcome() == CloseOutcome.ALREADY_PAID) {
                trade = this.channel.query(paymentNo);
            }
        }
        catch (RestClientException ex) {
            return closeFailed(paymentNo, "close failed: " + ex.getMessage());
        }
        String done = this.service.applyClose(paymentNo, answer.outcome(), trade);
        if (done == null) {
            return closeFailed(paymentNo, "the close answered already paid, but the trade shows no payment");
        }
        log.info("Close of payment {}: {}", paymentNo, done);
        return done;
    }

    private String closeFailed(String paymentNo, String why) {
        Instant now = this.clock.instant();
        int attempts = this.payments.closeAttempts(paymentNo) + 1;
        Instant next = now.plus(PaymentProperties.delay(this.properties.closeDelays(), attempts - 1));
        this.transaction.executeWithoutResult(status -> this.payments.closeFailed(paymentNo, next));
        this.failedCloses.increment();
        log.warn("Close {} of payment {} failed ({}); next attempt at {}", attempts, paymentNo, why, next);
        return why + "; next attempt at " + next;
    }

    /** Queries one payment now and applies what the channel answers; answers what was learnt. */
    public String query(String paymentNo) {
        Trade trade;
        this.queries.increment();
        try {
            trade = this.channel.query(paymentNo);
        }
        catch (RestClientException ex) {
            return reschedule(paymentNo, "query failed: " + ex.getMessage());
        }
        String learnt = this.service.applyQuery(paymentNo, trade);
        if (learnt == null) {
            return reschedule(paymentNo, trade == null ? "unknown at the channel" : "not paid yet");
        }
        this.transaction.executeWithoutResult(status -> this.payments.queried(paymentNo, learnt, null, false,
                this.clock.instant()));
        log.info("Query of payment {}: {}", paymentNo, learnt);
        return learnt;
    }

    private String reschedule(String paymentNo, String result) {
        Instant now = this.clock.instant();
        int attempts = this.payments.queryAttempts(paymentNo) + 1;
        if (attempts >= this.properties.queryMaxAttempts()) {
            this.transaction.executeWithoutResult(status -> this.payments.queried(paymentNo, result, null, true, now));
            this.flaggedPayments.increment();
            log.error("ALERT payment {} is still unknown after {} queries ({}): flagged for an operator", paymentNo,
                    attempts, result);
            return result + "; flagged";
        }
        Instant next = this.properties.nextQuery(now, attempts, this.service.get(paymentNo).expireAt());
        this.transaction.executeWithoutResult(status -> this.payments.queried(paymentNo, result, next, false, now));
        log.info("Query {} of payment {}: {}; next at {}", attempts, paymentNo, result, next);
        return result;
    }

    /** Issues one refund now (the same number every time); answers what happened. */
    public String issue(String refundNo) {
        Payments.RefundTask task = this.payments.refundTask(refundNo).orElse(null);
        if (task == null || !"REQUESTED".equals(task.status())) {
            return "not pending";
        }
        Instant now = this.clock.instant();
        try {
            Refund refund = this.channel.refund(task.paymentNo(), refundNo, task.amount(),
                    task.reason() != null ? task.reason() : "refund");
            this.service.refundConfirmed(task, refund);
            return "refunded";
        }
        catch (HttpClientErrorException ex) {
            // The channel refused it: retrying the same request cannot help.
            String error = ex.getStatusCode() + " " + ex.getResponseBodyAsString();
            this.transaction.executeWithoutResult(status -> this.payments.refundFailed(refundNo, error, null, true, now));
            this.flaggedRefunds.increment();
            log.error("ALERT refund {} of payment {} refused by the channel ({}): flagged for an operator", refundNo,
                    task.paymentNo(), error);
            return "refused: " + error;
        }
        catch (RestClientException ex) {
            int attempts = task.attempts() + 1;
            boolean flag = attempts >= this.properties.refundMaxAttempts();
            Instant next = flag ? null : now.plus(PaymentProperties.delay(this.properties.refundDelays(), attempts - 1));
            this.transaction.executeWithoutResult(
                    status -> this.payments.refundFailed(refundNo, String.valueOf(ex.getMessage()), next, flag, now));
            if (flag) {
                this.flaggedRefunds.increment();
                log.error("ALERT refund {} of payment {} failed {} times ({}): flagged for an operator", refundNo,
                        task.paymentNo(), attempts, ex.getMessage());
                return "failed; flagged";
            }
            log.warn("Refund {} of payment {} failed (attempt {}: {}); next attempt at {}", refundNo, task.paymentNo(),
                    attempts, ex.getMessage(), next);
            return "failed; next attempt at " + next;
        }
    }
}
