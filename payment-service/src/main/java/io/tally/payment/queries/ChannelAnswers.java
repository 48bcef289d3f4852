package io.tally.payment.queries;

import java.time.Clock;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.tally.channel.ChannelMessages.CloseOutcome;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.payment.payments.Payment;
import io.tally.payment.payments.PaymentStatus;
import io.tally.payment.payments.Settlement;

/**
 * Applies what the channel answered when payment-service asked it on its own (a query, a close, or the statement
 * reconciliation read), each in a transaction of its own under the payment's row lock, through the same
 * transitions as a callback ({@link Settlement}). The channel was called before, outside any transaction.
 */
@Service
public class ChannelAnswers {

    private final Settlement settlement;

    private final CloseSchedule closes;

    private final Clock clock;

    ChannelAnswers(Settlement settlement, CloseSchedule closes, Clock clock) {
        this.settlement = settlement;
        this.closes = closes;
        this.clock = clock;
    }

    /**
     * Applies what a query learnt of a paying payment ({@link Payment#onQuery}): paid becomes {@code SUCCEEDED}
     * (and is refunded when the order is cancelled), closed or expired becomes {@code CLOSED}.
     * @param trade the channel's view, {@code null} when it knows no such trade
     * @return what was learnt; one that is not {@link QueryResult.Kind#learnt() learnt} leaves the payment paying
     */
    @Transactional
    public QueryResult applyQuery(String paymentNo, @Nullable Trade trade) {
        Instant now = this.clock.instant();
        Payment payment = this.settlement.lock(paymentNo);
        Payment.QueryDecision decision = payment.onQuery(trade);
        return switch (decision.outcome()) {
            case SETTLED_MEANWHILE -> QueryResult.of(QueryResult.Kind.SETTLED_MEANWHILE, payment.status().name());
            case UNKNOWN -> QueryResult.of(QueryResult.Kind.UNKNOWN);
            case NOT_PAID -> QueryResult.of(QueryResult.Kind.NOT_PAID_YET);
            case CLOSE -> {
                this.settlement.closed(paymentNo, now);
                yield QueryResult.of(QueryResult.Kind.CLOSED);
            }
            case MISMATCH -> {
                this.settlement.captured(payment, trade, now);
                yield QueryResult.of(QueryResult.Kind.ABNORMAL,
                        this.settlement.abnormal(payment, "query", decision.mismatch(), now).toString());
            }
            case SUCCEED -> {
                Instant paidAt = trade.paidAt() != null ? trade.paidAt() : now;
                yield QueryResult.of(this.settlement.paid(payment, trade.tradeNo(), paidAt, trade.captured(), now)
                        ? QueryResult.Kind.PAID_AND_REFUNDED : QueryResult.Kind.PAID);
            }
        };
    }

    /**
     * Applies what the channel answered to the close of a cancelled order's trade ({@link Payment#onClose}), and
     * ends the close when the answer could be acted on.
     * @param answer what the close did
     * @param trade the channel's view of the trade when the close answered already paid, else {@code null}
     * @return what was done; {@code UNCONFIRMED} when the answer cannot be acted on yet (the close is tried again)
     */
    @Transactional
    public TradeCloseResult applyClose(String paymentNo, CloseOutcome answer, @Nullable Trade trade) {
        Instant now = this.clock.instant();
        Payment payment = this.settlement.lock(paymentNo);
        Payment.CloseDecision decision = payment.onClose(answer, trade);
        TradeCloseResult done = switch (decision.outcome()) {
            case CLOSE -> {
                this.settlement.closed(paymentNo, now);
                yield TradeCloseResult.of(TradeCloseResult.Kind.CLOSED);
            }
            case NOTHING -> new TradeCloseResult(TradeCloseResult.Kind.NOTHING, payment.status().name());
            case SUCCEED_AND_REFUND -> {
                this.settlement.paid(payment, trade.tradeNo(), trade.paidAt(), trade.captured(), now);
                yield TradeCloseResult.of(TradeCloseResult.Kind.ALREADY_PAID);
            }
            case ABNORMAL_AND_REFUND -> {
                this.settlement.captured(payment, trade, now);
                Settlement.Abnormal abnormal = this.settlement.abnormal(payment, "close", decision.mismatch(), now);
                this.settlement.refund(payment,
                        "order cancelled; the close answered already paid, but " + decision.mismatch());
                yield new TradeCloseResult(TradeCloseResult.Kind.ABNORMAL, abnormal.toString());
            }
            case REFUND -> {
                if (payment.status() != PaymentStatus.SUCCEEDED) {
                    this.settlement.captured(payment, trade, now);
                }
                this.settlement.refund(payment, "order cancelled; the close answered already paid");
                yield TradeCloseResult.of(TradeCloseResult.Kind.ALREADY_PAID);
            }
            case UNCONFIRMED -> TradeCloseResult.of(TradeCloseResult.Kind.UNCONFIRMED);
        };
        if (done.kind().done()) {
            this.closes.done(paymentNo);
        }
        return done;
    }

    /**
     * Repairs a capture the channel's statement shows and we missed: a paying payment becomes {@code SUCCEEDED}
     * (refunded if its order is cancelled), a closed one is refunded (captured after close).
     * @return the repair made, or {@code null} when the payment's state does not allow a safe repair
     */
    @Transactional
    public @Nullable QueryResult repairCapture(String paymentNo, Trade trade) {
        Payment payment = this.settlement.lock(paymentNo);
        return switch (payment.status()) {
            case PAYING -> {
                QueryResult learnt = applyQuery(paymentNo, trade);
                yield learnt.kind().learnt() ? learnt : null;
            }
            case CLOSED -> {
                this.settlement.captured(payment, trade, Instant.now(this.clock));
                this.settlement.refund(payment, "captured after close, found by reconciliation");
                yield QueryResult.of(QueryResult.Kind.CAPTURED_AFTER_CLOSE);
            }
            default -> null;
        };
    }
}
