package io.tally.channel;

import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

/** The JSON messages of the channel's API. Amounts are integers in minor units. */
public final class ChannelMessages {

    private ChannelMessages() {
    }

    /** {@code POST /gateway/trades}: creates a trade that the user can pay until {@code expireAt}. */
    public record CreateTrade(String merchantId, String outTradeNo, long amount, String currency, Instant expireAt,
            String notifyUrl, String subject) {
    }

    /** A trade as the channel answers it. */
    public record Trade(String outTradeNo, String tradeNo, long amount, String currency, TradeStatus status,
            Instant expireAt, long captured, long refunded, @Nullable Instant paidAt) {
    }

    /** A trade's state at the channel. */
    public enum TradeStatus {
        /** Created, waiting for the user. */
        WAIT_PAY,
        /** Paid: the money is captured. */
        SUCCESS,
        /** Closed or expired unpaid. */
        CLOSED
    }

    /** The answer to {@code POST /gateway/trades/{outTradeNo}/close}. */
    public record CloseResult(String outTradeNo, CloseOutcome outcome) {
    }

    /** What a close did. */
    public enum CloseOutcome {
        /** Closed now, or already closed: no money can be captured any more. */
        CLOSED,
        /** Not closed: the trade was already paid, the money is captured. */
        ALREADY_PAID
    }

    /** {@code POST /gateway/refunds}: idempotent by {@code refundNo}. */
    public record RefundRequest(String merchantId, String outTradeNo, String refundNo, long amount, String reason) {
    }

    /** A refund as the channel answers it. */
    public record Refund(String refundNo, String outTradeNo, long amount, Instant refundedAt) {
    }

    /** The signed body of a callback (asynchronous notification) to the merchant. */
    public record Notification(String notificationId, String merchantId, String outTradeNo, String tradeNo,
            long amount, String currency, String tradeStatus, Instant paidAt) {

        /** The {@code tradeStatus} of a paid trade. */
        public static final String TRADE_SUCCESS = "TRADE_SUCCESS";
    }

    /**
     * A line of {@code GET /gateway/ledger}, with the faults injected into the trade's callbacks.
     */
    public record LedgerEntry(String outTradeNo, String tradeNo, long amount, String currency, TradeStatus status,
            long captured, long refunded, @Nullable Instant paidAt, List<Refund> refunds, int callbacksSent,
            boolean callbackTampered, boolean callbackWithheld, int callbackCopies) {
    }
}
