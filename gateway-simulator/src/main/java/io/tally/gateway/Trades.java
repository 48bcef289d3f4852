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
        return create(request, Protocol.TALLY);
    }

    /** Creates the trade (once per {@code outTradeNo}), spoken to in {@code protocol}. */
    Trade create(CreateTrade request, Protocol protocol) {
        if (request.amount() <= 0) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "amount must be positive");
        }
        TradeState created = this.trades.computeIfAbsent(request.outTradeNo(),
                no -> new TradeState(request, protocol, protocol.tradeNo(1_000_000_000L + this.sequence.incrementAndGet(),
                        this.clock.instant())));
        if (!created.request.equals(request) || created.protocol != protocol) {
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

    /** The protocol the trade's merchant speaks, in which its notifications are sent. */
    Protocol protocol(String outTradeNo) {
        return find(outTradeNo).protocol;
    }

    /** Whether the channel has a trade of this number. */
    boolean exists(String outTradeNo) {
        return this.trades.containsKey(outTradeNo);
    }

    /** The refund of this number, if any. */
    @Nullable Refund findRefund(String refundNo) {
        return this.refunds.get(refundNo);
    }

    String tradeNo(String outTradeNo) {
        return find(outTradeNo).tradeNo;
    }

    CreateTrade request(String outTradeNo) {
        return find(outTradeNo).request;
    }

    /** A line of a statement: a capture ({@code PAYMENT}) or a refund ({@code REFUND}), in minor units. */
    record StatementLine(String type, String outTradeNo, String tradeNo, @Nullable String refundNo, long amount,
            Instant time, long tradeAmount, String currency, String subject) {
    }

    /**
     * The merchant's captures and refunds of a day (from midnight to midnight in {@code gateway.statement-zone}),
     * ordered by trade number, each trade's capture before its refunds.
     */
    List<StatementLine> statementLines(String merchantId, java.time.LocalDate day) {
        Instant from = day.atStartOfDay(this.statementZone).toInstant();
        Instant to = day.plusDays(1).atStartOfDay(this.statementZone).toInstant();
        List<StatementLine> lines = new ArrayList<>();
        List<TradeState> sorted = new ArrayList<>(this.trades.values());
        sorted.sort(Comparator.comparing(t -> t.request.outTradeNo()));
        for (TradeState trade : sorted) {
            synchronized (trade) {
                if (!trade.request.merchantId().equals(merchantId)) {
                    continue;
                }
                CreateTrade request = trade.request;
                if (trade.paidAt != null && !trade.paidAt.isBefore(from) && trade.paidAt.isBefore(to)) {
                    lines.add(new StatementLine("PAYMENT", request.outTradeNo(), trade.tradeNo, null, trade.captured,
                            trade.paidAt, request.amount(), request.currency(), request.subject()));
                }
                for (Refund refund : trade.refunds) {
                    if (!refund.refundedAt().isBefore(from) && refund.refundedAt().isBefore(to)) {
                        lines.add(new StatementLine("REFUND", request.outTradeNo(), trade.tradeNo, refund.refundNo(),
                                refund.amount(), refund.refundedAt(), request.amount(), request.currency(),
                                request.subject()));
                    }
                }
            }
        }
        return lines;
    }

    /** The zone whose midnight cuts the statements' days. */
    java.time.ZoneId statementZone() {
        return this.statementZone;
    }

    /**
     * The merchant's statement of a day in the simulator's own format, as CSV: every capture and every refund made
     * that day, and a closing line with the counts and totals a reader checks the lines against.
     */
    String statement(String merchantId, java.time.LocalDate day) {
        StringBuilder csv = new StringBuilder("# statement,merchant=" + merchantId + ",date=" + day + "\n");
        csv.append("type,out_trade_no,trade_no,refund_no,amount,time\n");
        int count = 0;
        long payments = 0;
        long refunded = 0;
        for (StatementLine line : statementLines(merchantId, day)) {
            csv.append(line.type()).append(',').append(line.outTradeNo()).append(',').append(line.tradeNo())
                .append(',').append(line.refundNo() != null ? line.refundNo() : "").append(',').append(line.amount())
                .append(',').append(line.time()).append('\n');
            count++;
            if ("PAYMENT".equals(line.type())) {
                payments += line.amount();
            }
            else {
                refunded += line.amount();
            }
        }
        csv.append("# total,lines=").append(count).append(",payments=").append(payments).append(",refunds=")
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

        final Protocol protocol;

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

        TradeState(CreateTrade request, Protocol protocol, String tradeNo) {
            this.request = request;
            this.protocol = protocol;
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
