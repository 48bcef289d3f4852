package io.tally.payment.payments;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

import io.tally.channel.ChannelMessages.Notification;
import io.tally.payment.refunds.RefundStatus;

/**
 * A payment as the public contract shows it; amounts in minor units. It decides what a verified callback, a query
 * and the close of its trade mean for it ({@link #onCallback}, {@link #onQuery}, {@link #onClose}); the callbacks
 * and queries packages carry the decision out under the payment's row lock, through {@link Settlement}.
 */
public record Payment(String paymentNo, String orderNo, long amount, String currency, String channel, PaymentStatus status,
        Instant expireAt, @Nullable String channelTradeNo, @Nullable String payCode, @Nullable Instant paidAt, @Nullable String abnormalReason,
        @Nullable RefundView refund, Instant createdAt) {

    /** The payment's refund, if one was requested. */
    public record RefundView(String refundNo, long amount, RefundStatus status, @Nullable Instant refundedAt) {
    }

    /** What a callback means for the payment. */
    public enum CallbackOutcome {
        /** Paid as asked: the payment succeeds. */
        SUCCEED,
        /** Paid as asked, but after the trade was closed: the money is refunded. */
        REFUND_CAPTURED_AFTER_CLOSE,
        /** The payment is settled already (a repeated callback): nothing to do. */
        ALREADY_SETTLED,
        /** The trade is not paid (another trade status): nothing to do. */
        NOT_PAID,
        /** The payment is abnormal already: nothing more to do. */
        ALREADY_ABNORMAL,
        /**
         * It is not for this payment at all (another merchant, another trade, another currency): refused, and the
         * payment is left as it is, so that its genuine callback still applies.
         */
        REFUSED,
        /** Our own trade, but not the amount asked: the payment becomes abnormal. */
        MISMATCH,
        /** It does not match, and it reports money taken after the close: abnormal, and the money is refunded. */
        MISMATCH_CAPTURED_AFTER_CLOSE
    }

    /**
     * A callback's meaning for the payment.
     *
     * @param outcome what to do
     * @param mismatch what did not match (for the two mismatch outcomes), else {@code null}
     */
    public record CallbackDecision(CallbackOutcome outcome, @Nullable String mismatch) {
    }

    /**
     * Decides what a verified callback means for this payment as it is now.
     * @param merchantId our merchant id at the channel
     */
    public CallbackDecision onCallback(Notification notification, String merchantId) {
        String notOurs = notOurs(notification, merchantId);
        if (notOurs != null) {
            return new CallbackDecision(CallbackOutcome.REFUSED, notOurs);
        }
        String mismatch = notification.amount() != this.amount
                ? "amount " + notification.amount() + " where " + this.amount + " was asked" : null;
        boolean paid = Notification.TRADE_SUCCESS.equals(notification.tradeStatus());
        if (mismatch != null) {
            return new CallbackDecision(this.status == PaymentStatus.CLOSED && paid
                    ? CallbackOutcome.MISMATCH_CAPTURED_AFTER_CLOSE : CallbackOutcome.MISMATCH, mismatch);
        }
        if (!paid) {
            return new CallbackDecision(CallbackOutcome.NOT_PAID, null);
        }
        return new CallbackDecision(switch (this.status) {
            case PAYING -> CallbackOutcome.SUCCEED;
            case CLOSED -> CallbackOutcome.REFUND_CAPTURED_AFTER_CLOSE;
            case SUCCEEDED, REFUNDING, REFUNDED -> CallbackOutcome.ALREADY_SETTLED;
            case ABNORMAL -> CallbackOutcome.ALREADY_ABNORMAL;
        }, null);
    }

    /** Why a callback is not this payment's at all (another merchant, trade or currency), or {@code null}. */
    @Nullable String notOurs(Notification notification, String merchantId) {
        if (!merchantId.equals(notification.merchantId())) {
            return "merchant " + notification.merchantId() + " is not ours";
        }
        if (this.channelTradeNo != null && !this.channelTradeNo.equals(notification.tradeNo())) {
            return "trade " + notification.tradeNo() + " where the channel created " + this.channelTradeNo;
        }
        if (!this.currency.equals(notification.currency())) {
            return "currency " + notification.currency() + " where " + this.currency + " was asked";
        }
        return null;
    }

    /** What a query of the payment's trade means for the payment. */
    public enum QueryOutcome {
        /** The payment is no longer paying (a callback or a close came first): nothing to do. */
        SETTLED_MEANWHILE,
        /** The channel knows no such trade (yet): asked again later. */
        UNKNOWN,
        /** The trade waits for the user: asked again later. */
        NOT_PAID,
        /** The trade is closed or expired unpaid: the payment is closed. */
        CLOSE,
        /** Paid as asked: the payment succeeds. */
        SUCCEED,
        /** Paid, but not what was asked: the payment becomes abnormal. */
        MISMATCH
    }

    /**
     * A query's meaning for the payment.
     *
     * @param outcome what to do
     * @param mismatch what did not match (for {@code MISMATCH}), else {@code null}
     */
    public record QueryDecision(QueryOutcome outcome, @Nullable String mismatch) {
    }

    /**
     * Decides what the channel's answer to a query of this payment's trade means for the payment as it is now:
     * only a paying payment learns from a query, through the same checks a callback gets.
     * @param trade the channel's view, {@code null} when it knows no such trade
     */
    public QueryDecision onQuery(io.tally.channel.ChannelMessages.@Nullable Trade trade) {
        if (this.status != PaymentStatus.PAYING) {
            return new QueryDecision(QueryOutcome.SETTLED_MEANWHILE, null);
        }
        if (trade == null) {
            return new QueryDecision(QueryOutcome.UNKNOWN, null);
        }
        return switch (trade.status()) {
            case WAIT_PAY -> new QueryDecision(QueryOutcome.NOT_PAID, null);
            case CLOSED -> new QueryDecision(QueryOutcome.CLOSE, null);
            case SUCCESS -> {
                String mismatch = tradeMismatch(trade);
                yield mismatch != null ? new QueryDecision(QueryOutcome.MISMATCH, mismatch)
                        : new QueryDecision(QueryOutcome.SUCCEED, null);
            }
        };
    }

    /** What the answer to the close of a cancelled order's trade means for the payment. */
    public enum CloseOutcome {
        /** Closed, and the payment was paying: it is closed. */
        CLOSE,
        /** Nothing to do: closed or settled already. */
        NOTHING,
        /** Paid as asked before the close reached it: the payment succeeds, and the money is refunded. */
        SUCCEED_AND_REFUND,
        /** Paid, but not what was asked: the payment becomes abnormal, and the money is refunded. */
        ABNORMAL_AND_REFUND,
        /** Paid (the payment is closed, abnormal or succeeded already): the money is refunded. */
        REFUND,
        /** The close says paid but the trade shows no payment: nothing can be decided yet; the close is tried again. */
        UNCONFIRMED
    }

    /**
     * A close's meaning for the payment.
     *
     * @param outcome what to do
     * @param mismatch what did not match (for {@code ABNORMAL_AND_REFUND}), else {@code null}
     */
    public record CloseDecision(CloseOutcome outcome, @Nullable String mismatch) {
    }

    /**
     * Decides what the channel's answer to the close of this payment's trade (its order was cancelled) means for
     * the payment as it is now.
     * @param answer what the close did
     * @param trade the trade as a query found it after a close that answered already paid, else {@code null}
     */
    public CloseDecision onClose(io.tally.channel.ChannelMessages.CloseOutcome answer,
            io.tally.channel.ChannelMessages.@Nullable Trade trade) {
        if (answer == io.tally.channel.ChannelMessages.CloseOutcome.CLOSED) {
            return new CloseDecision(this.status == PaymentStatus.PAYING ? CloseOutcome.CLOSE : CloseOutcome.NOTHING, null);
        }
        if (trade == null || trade.paidAt() == null) {
            return new CloseDecision(CloseOutcome.UNCONFIRMED, null);
        }
        String mismatch = tradeMismatch(trade);
        return switch (this.status) {
            case PAYING, SUCCEEDED -> mismatch != null ? new CloseDecision(CloseOutcome.ABNORMAL_AND_REFUND, mismatch)
                    : new CloseDecision(this.status == PaymentStatus.PAYING ? CloseOutcome.SUCCEED_AND_REFUND
                            : CloseOutcome.REFUND, null);
            case CLOSED, ABNORMAL -> new CloseDecision(CloseOutcome.REFUND, null);
            case REFUNDING, REFUNDED -> new CloseDecision(CloseOutcome.NOTHING, null);
        };
    }

    /**
     * What in a trade the channel reports as paid (answering a query, or a close that found it paid) is not what
     * this payment asked for, or {@code null}: the same checks a callback gets.
     */
    public @Nullable String tradeMismatch(io.tally.channel.ChannelMessages.Trade trade) {
        if (!this.currency.equals(trade.currency())) {
            return "currency " + trade.currency() + " where " + this.currency + " was asked";
        }
        if (trade.captured() != this.amount) {
            return "captured " + trade.captured() + " where " + this.amount + " was asked";
        }
        return null;
    }
}
