package io.tally.gateway;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;

import io.tally.channel.ChannelMessages.CloseOutcome;
import io.tally.channel.ChannelMessages.CloseResult;
import io.tally.channel.ChannelMessages.CreateTrade;
import io.tally.channel.ChannelMessages.LedgerEntry;
import io.tally.channel.ChannelMessages.Refund;
import io.tally.channel.ChannelMessages.RefundRequest;
import io.tally.channel.ChannelMessages.Trade;
import io.tally.channel.ChannelMessages.TradeStatus;

/**
 * The channel's trades, in memory: the simulator is the channel's stand-in, not a system of record. Each trade
 * is changed under its own lock, so a pay and a close of one trade are serialised as at a real channel.
 */
@Component
class Trades {

    private final Map<String, TradeState> trades = new ConcurrentHashMap<>();

    private final Map<String, Refund> refunds = new ConcurrentHashMap<>();

    private final AtomicLong sequence = new AtomicLong();

    private final Clock clock;

    private final java.time.ZoneId statementZone;

    Trades(Clock clock, GatewayProperties properties) {
        this.clock = clock;
        this.statementZone = properties.statementZone();
    }

    Trade create(CreateTrade request) {
        if (request.amount() <= 0) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "amount must be positive");
        }
        TradeState created = this.trades.computeIfAbsent(request.outTradeNo(),
                no -> new TradeState(request, "T" + (1_000_000_000L + this.sequence.incrementAndGet())));
        if (!created.request.equals(request)) {
            throw new ResponseStatusException(HttpStatus.CONFLICT,
                    "Trade " + request.outTradeNo() + " exists with other parameters");
        }
        synchronized (created) {
            return created.view(this.clock.instant());
        }
    }

    /**
     * Makes the user pay; answers the paid trade.
     * @param evenIfClosed whether a trade the merchant closed (not expired) may still be paid
     * @param paidAfterClose called when it was
     */
    Trade pay(String outTradeNo, boolean evenIfClosed, Runnable paidAfterClose) {
        TradeState trade = find(outTradeNo);
        synchronized (trade) {
            Instant now = this.clock.instant();
            boolean closedByMerchant = trade.status == TradeStatus.CLOSED && now.isBefore(trade.request.expireAt());
            trade.expireIfDue(now);
            if (trade.status != TradeStatus.WAIT_PAY && !(evenIfClosed && closedByMerchant)) {
                throw new ResponseStatusException(HttpStatus.CONFLICT,
                        "Trade " + outTradeNo + " cannot be paid: it is " + trade.status);
            }
            if (trade.status == TradeStatus.CLOSED) {
                paidAfterClose.run();
            }
            trade.status = TradeStatus.SUCCESS;
            trade.captured = trade.request.amount();
            trade.paidAt = now;
            return trade.view(now);
        }
    }

    Trade query(String outTradeNo) {
        TradeState trade = find(outTradeNo);
        synchronized (trade) {
            Instant now = this.clock.instant();
            trade.expireIfDue(now);
            return trade.view(now);
        }
    }

    CloseResult close(String outTradeNo) {
        TradeState trade = find(outTradeNo);
        synchronized (trade) {
            if (trade.status == TradeStatus.SUCCESS) {
                return new CloseResult(outTradeNo, CloseOutcome.ALREADY_PAID);
            }
            trade.status = TradeStatus.CLOSED;
            return new CloseResult(outTradeNo, CloseOutcome.CLOSED);
        }
    }

    Refund refund(RefundRequest request) {
        TradeState trade = find(request.outTradeNo());
        synchronized (trade) {
            Refund existing = this.refunds.get(request.refundNo());
            if (existing != null) {
                if (!existing.outTradeNo().equals(request.outTradeNo()) || existing.amount() != request.amount()) {
                    throw new ResponseStatusException(HttpStatus.CONFLICT,
                            "Refund " + request.refundNo() + " exists with other parameters");
                }
                return existing;
            }
            if (trade.status != TradeStatus.SUCCESS || request.amount() <= 0
                    || trade.captured - trade.refunded < request.amount()) {
                throw new ResponseStatusException(HttpStatus.CONFLICT, "Refund of " + request.amount() + " on trade "
                        + request.outTradeNo() + " refused: captured " + trade.captured + ", refunded " + trade.refunded);
            }
            Refund refund = new Refund(request.refundNo(), request.outTradeNo(), request.amount(), this.clock.instant());
            trade.refunded += request.amount();
            trade.refunds.add(refund);
            this.refunds.put(refund.refundNo(), refund);
            return refund;
        }
    }

    /** Records how the trade's callbacks are sent (the faults injected into them). */
    void planned(String outTradeNo, Faults.CallbackPlan plan) {
        TradeState trade = find(outTradeNo);
        synchronized (trade) {
            trade.tampered = plan.tamper();
            trade.withheld = !plan.send();
            trade.copies = plan.copies();
        }
    }

    void callbackSent(String outTradeNo) {
        TradeState trade = find(outTradeNo);
        synchronized (trade) {
            trade.callbacksSent++;
        }
    }

    String tradeNo(String outTradeNo) {
        return find(outTradeNo).tradeNo;
    }

    CreateTrade request(String outTradeNo) {
        return find(outTradeNo).request;
    }

    /**
     * The merchant's statement of a day (from midnight to midnight in {@code gateway.statement-zone}) as CSV: every
     * capture and every refund made that day, and a closing line with the counts and totals a reader checks the
     * lines against.
     */
    String statement(String merchantId, java.time.LocalDate day) {
        Instant from = day.atStartOfDay(this.statementZone).toInstant();
        Instant to = day.plusDays(1).atStartOfDay(this.statementZone).toInstant();
        StringBuilder csv = new StringBuilder("# statement,merchant=" + merchantId + ",date=" + day + "\n");
        csv.append("type,out_trade_no,trade_no,refund_no,amount,time\n");
        int lines = 0;
        long payments = 0;
        long refunded = 0;
        List<TradeState> sorted = new ArrayList<>(this.trades.values());
        sorted.sort(Comparator.comparing(t -> t.request.outTradeNo()));
        for (TradeState trade : sorted) {
            synchronized (trade) {
                if (!trade.request.merchantId().equals(merchantId)) {
                    continue;
                }
                if (trade.paidAt != null && !trade.paidAt.isBefore(from) && trade.paidAt.isBefore(to)) {
                    csv.append("PAYMENT,").append(trade.request.outTradeNo()).append(',').append(trade.tradeNo)
                        .append(",,").append(trade.captured).append(',').append(trade.paidAt).append('\n');
                    lines++;
                    payments += trade.captured;
                }
                for (Refund refund : trade.refunds) {
                    if (!refund.refundedAt().isBefore(from) && refund.refundedAt().isBefore(to)) {
                        csv.append("REFUND,").append(trade.request.outTradeNo()).append(',').append(trade.tradeNo)
                            .append(',').append(refund.refundNo()).append(',').append(refund.amount()).append(',')
                            .append(refund.refundedAt()).append('\n');
                        lines++;
                        refunded += refund.amount();
                    }
                }
            }
        }
        csv.append("# total,lines=").append(lines).append(",payments=").append(payments).append(",refunds=")
            .append(refunded).append('\n');
        return csv.toString();
    }

    List<LedgerEntry> ledger() {
        List<LedgerEntry> entries = new ArrayList<>();
        Instant now = this.clock.instant();
        for (TradeState trade : this.trades.values()) {
            synchronized (trade) {
                trade.expireIfDue(now);
                entries.add(trade.ledger());
            }
        }
        entries.sort(Comparator.comparing(LedgerEntry::outTradeNo));
        return entries;
    }

    private TradeState find(String outTradeNo) {
        TradeState trade = this.trades.get(outTradeNo);
        if (trade == null) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "No trade " + outTradeNo);
        }
        return trade;
    }

    private static final class TradeState {

        final CreateTrade request;

        final String tradeNo;

        TradeStatus status = TradeStatus.WAIT_PAY;

        long captured;

        long refunded;

        @Nullable Instant paidAt;

        int callbacksSent;

        boolean tampered;

        boolean withheld;

        int copies;

        final List<Refund> refunds = new ArrayList<>();

        TradeState(CreateTrade request, String tradeNo) {
            this.request = request;
            this.tradeNo = tradeNo;
        }

        void expireIfDue(Instant now) {
            if (this.status == TradeStatus.WAIT_PAY && !now.isBefore(this.request.expireAt())) {
                this.status = TradeStatus.CLOSED;
            }
        }

        Trade view(Instant now) {
            return new Trade(this.request.outTradeNo(), this.tradeNo, this.request.amount(), this.request.currency(),
                    this.status, this.request.expireAt(), this.captured, this.refunded, this.paidAt);
        }

        LedgerEntry ledger() {
            return new LedgerEntry(this.request.outTradeNo(), this.tradeNo, this.request.amount(),
                    this.request.currency(), this.status, this.captured, this.refunded, this.paidAt,
                    List.copyOf(this.refunds), this.callbacksSent, this.tampered, this.withheld, this.copies);
        }
    }
}
