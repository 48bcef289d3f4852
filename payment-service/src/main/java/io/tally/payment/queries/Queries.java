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

import io.tally.channel.ChannelMessages.Trade;
import io.tally.payment.channel.Channels;
import io.tally.payment.payments.PaymentProperties;
import io.tally.payment.payments.PaymentService;

/**
 * Active queries of payments without callback. They are scheduled in the database ({@code next_query_at}), so they
 * survive restarts, and claimed with {@code FOR UPDATE SKIP LOCKED} and a lease, so several instances never query
 * one payment at once. The channel is asked outside any transaction; its answer is applied in a transaction of its
 * own ({@link ChannelAnswers#applyQuery}); a payment still unknown after every query is flagged for an operator.
 */
@Component
public class Queries {

    private static final Logger log = LoggerFactory.getLogger(Queries.class);

    private final QuerySchedule schedule;

    private final ChannelAnswers answers;

    private final PaymentService payments;

    private final Channels channels;

    private final TransactionTemplate transaction;

    private final Clock clock;

    private final PaymentProperties properties;

    private final Counter flaggedPayments;

    private final Counter queries;

    Queries(QuerySchedule schedule, ChannelAnswers answers, PaymentService payments, Channels channels,
            TransactionTemplate transaction, Clock clock, PaymentProperties properties, MeterRegistry meters) {
        this.schedule = schedule;
        this.answers = answers;
        this.payments = payments;
        this.channels = channels;
        this.transaction = transaction;
        this.clock = clock;
        this.properties = properties;
        this.flaggedPayments = Counter.builder("tally.payment.flagged")
            .description("Payments still unknown after every query, flagged for an operator")
            .register(meters);
        this.queries = Counter.builder("tally.payment.queries")
            .description("Queries of a payment's trade asked of the channel by this instance")
            .register(meters);
    }

    /** Queries the due payments; answers how many. */
    int runQueries() {
        Instant now = this.clock.instant();
        List<String> due = this.transaction.execute(status -> this.schedule.claim(now,
                now.plus(this.properties.lease()), this.properties.batch()));
        due.forEach(this::query);
        return due.size();
    }

    /** Queries one payment now and applies what the channel answers; answers what was learnt. */
    public QueryResult query(String paymentNo) {
        Trade trade;
        this.queries.increment();
        try {
            trade = this.channels.ofPayment(paymentNo).query(paymentNo);
        }
        catch (RestClientException ex) {
            return reschedule(paymentNo, QueryResult.of(QueryResult.Kind.FAILED, String.valueOf(ex.getMessage())));
        }
        QueryResult learnt = this.answers.applyQuery(paymentNo, trade);
        if (!learnt.kind().learnt()) {
            return reschedule(paymentNo, learnt);
        }
        this.transaction.executeWithoutResult(status -> this.schedule.queried(paymentNo, learnt.text(), null, false,
                this.clock.instant()));
        log.info("Query of payment {}: {}", paymentNo, learnt);
        return learnt;
    }

    private QueryResult reschedule(String paymentNo, QueryResult result) {
        Instant now = this.clock.instant();
        int attempts = this.schedule.attempts(paymentNo) + 1;
        if (attempts >= this.properties.queryMaxAttempts()) {
            this.transaction.executeWithoutResult(status -> this.schedule.queried(paymentNo, result.text(), null, true, now));
            this.flaggedPayments.increment();
            log.error("ALERT payment {} is still unknown after {} queries ({}): flagged for an operator", paymentNo,
                    attempts, result);
            return result.asFlagged();
        }
        Instant next = this.properties.nextQuery(now, attempts, this.payments.get(paymentNo).expireAt());
        this.transaction.executeWithoutResult(status -> this.schedule.queried(paymentNo, result.text(), next, false, now));
        log.info("Query {} of payment {}: {}; next at {}", attempts, paymentNo, result, next);
        return result;
    }
}
