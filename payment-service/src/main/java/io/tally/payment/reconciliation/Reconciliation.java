package io.tally.payment.reconciliation;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.channel.ChannelMessages.Trade;
import io.tally.payment.channel.Statement;
import io.tally.channel.ChannelMessages.TradeStatus;
import io.tally.payment.channel.Channels;
import io.tally.payment.queries.ChannelAnswers;
import io.tally.payment.queries.QueryResult;
import io.tally.payment.reconciliation.Reconciliations.Difference;
import io.tally.payment.reconciliation.Reconciliations.Kind;
import io.tally.payment.reconciliation.Reconciliations.LocalPayment;
import io.tally.payment.reconciliation.Reconciliations.LocalRefund;
import io.tally.payment.reconciliation.Reconciliations.Run;
import io.tally.payment.reconciliation.Reconciliations.RunStatus;
import io.tally.payment.reconciliation.Reconciliations.Status;
import io.tally.payment.refunds.RefundResult;
import io.tally.payment.refunds.RefundWorker;

/**
 * Compares the channel's statement of a day with our payments and refunds, records every difference with its
 * run, repairs the safe ones through the normal state machine, and leaves the rest to an operator. Differences
 * near the day's cut-off are held over to the next day's run.
 */
@Service
public class Reconciliation {

    private static final Logger log = LoggerFactory.getLogger(Reconciliation.class);

    private final Reconciliations store;

    private final Channels channels;

    private final ChannelAnswers answers;

    private final RefundWorker refunds;

    private final TransactionTemplate transaction;

    private final Clock clock;

    private final ReconciliationProperties properties;

    private final Counter differences;

    private final MeterRegistry meters;

    Reconciliation(Reconciliations store, Channels channels, ChannelAnswers answers, RefundWorker refunds,
            TransactionTemplate transaction, Clock clock, ReconciliationProperties properties, MeterRegistry meters) {
        this.store = store;
        this.channels = channels;
        this.answers = answers;
        this.refunds = refunds;
        this.transaction = transaction;
        this.clock = clock;
        this.properties = properties;
        this.meters = meters;
        this.differences = Counter.builder("tally.reconciliation.differences")
            .description("Differences left for an operator by reconciliation runs")
            .register(meters);
        // at 0 from the start, so that a first failure is an increase an alert sees
        List.of("clean", "differences", "failed").forEach(outcome -> runCounter(outcome));
    }

    /**
     * Reconciles a day now.
     * @param scheduled whether this is the day's scheduled run (at most one per day, across instances)
     * @return the run, or {@code null} when the scheduled run of the day exists already
     */
    public @Nullable Run run(LocalDate day, String by, boolean scheduled) {
        Long runId = this.transaction.execute(s -> this.store.start(day, scheduled, by, this.clock.instant()).orElse(null));
        if (runId == null) {
            return null;
        }
        Statement statement = null;
        try {
            Instant asOf = this.clock.instant();
            statement = statementOf(day);
            Tally tally = compare(runId, statement, asOf);
            Statement checked = statement;
            this.transaction.executeWithoutResult(s -> this.store.finish(runId, RunStatus.FINISHED, checked, tally.open,
                    tally.repaired, tally.heldOver, null, this.clock.instant()));
            this.differences.increment(tally.open);
            countRun(tally.open > 0 ? "differences" : "clean");
            if (tally.open > 0) {
                log.warn("ALERT reconciliation of {} (run {}): {} differences wait for an operator, {} repaired, {} held over",
                        day, runId, tally.open, tally.repaired, tally.heldOver);
            }
            else {
                log.info("Reconciliation of {} (run {}): {} lines, {} repaired, {} held over", day, runId,
                        statement.lines().size(), tally.repaired, tally.heldOver);
            }
        }
        catch (RuntimeException ex) {
            Statement read = statement;
            log.error("ALERT reconciliation of {} (run {}) failed: {}", day, runId, ex.toString());
            this.transaction.executeWithoutResult(s -> this.store.finish(runId, RunStatus.FAILED, read, 0, 0, 0,
                    ex.toString(), this.clock.instant()));
            countRun("failed");
        }
        return this.store.run(runId).orElseThrow();
    }

    /**
     * The day's statements of every enabled channel, as one: payment and refund numbers are ours and unique, so a
     * line matches its payment whichever channel it came from. Any channel's statement failing fails the run.
     */
    private Statement statementOf(LocalDate day) {
        List<Statement> statements = new java.util.ArrayList<>();
        for (io.tally.payment.channel.PaymentChannel channel : this.channels.all()) {
            statements.add(channel.statement(day));
        }
        return Statement.merge(day, statements);
    }

    /** {@code tally.reconciliation.runs{outcome}}: clean, differences (left for an operator) or failed. */
    private void countRun(String outcome) {
        runCounter(outcome).increment();
    }

    private Counter runCounter(String outcome) {
        return Counter.builder("tally.reconciliation.runs")
            .tag("outcome", outcome)
            .description("Reconciliation runs finished, by outcome: clean, differences (left for an operator), failed")
            .register(this.meters);
    }

    /**
     * Runs the scheduled reconciliation of {@code yesterday} and of every earlier day the scheduler missed: each
     * day since its first scheduled run (at most {@code catch-up-days} back) that has no scheduled run holding it,
     * oldest first. A day whose run failed has given its slot back, so it is tried again.
     * @return the days run now
     */
    public List<LocalDate> catchUp(LocalDate yesterday) {
        LocalDate earliest = yesterday.minusDays(Math.max(1, this.properties.catchUpDays()) - 1L);
        // a service that never ran the scheduler starts with yesterday, not with a month of empty days
        LocalDate first = this.store.firstScheduledDay().map(day -> day.isAfter(earliest) ? day : earliest)
            .orElse(yesterday);
        Set<LocalDate> held = this.store.scheduledDaysFrom(first);
        List<LocalDate> ran = new java.util.ArrayList<>();
        for (LocalDate day = first; !day.isAfter(yesterday); day = day.plusDays(1)) {
            if (!held.contains(day) && run(day, "scheduler", true) != null) {
                ran.add(day);
            }
        }
        if (ran.size() > 1) {
            log.warn("Reconciliation caught up {} days: {}", ran.size(), ran);
        }
        return ran;
    }

    /**
     * Compares. A refund confirmed here after {@code asOf} (when the statement was asked for), such as one that a
     * repair of this very run requested, cannot be in the statement: it is left to the next run.
     */
    private Tally compare(long runId, Statement statement, Instant asOf) {
        Tally tally = new Tally();
        Instant from = statement.day().atStartOfDay(this.properties.zone()).toInstant();
        Instant dayEnd = statement.day().plusDays(1).atStartOfDay(this.properties.zone()).toInstant();
        Instant to = dayEnd;
        Instant refundsTo = asOf.isBefore(dayEnd) ? asOf : dayEnd;
        Instant cutOff = dayEnd.minus(this.properties.holdOver());
        Set<String> capturedAtChannel = new HashSet<>();
        Map<String, Statement.Line> refundsAtChannel = new HashMap<>();
        for (Statement.Line line : statement.lines()) {
            if (line.isPayment()) {
                capturedAtChannel.add(line.outTradeNo());
            }
            else if (line.refundNo() != null) {
                refundsAtChannel.put(line.refundNo(), line);
            }
        }
        // What earlier runs held over is settled now if this statement has it.
        for (Difference held : this.store.heldOverBefore(statement.day())) {
            boolean found = held.refundNo() != null ? refundsAtChannel.containsKey(held.refundNo())
                    : capturedAtChannel.contains(held.outTradeNo());
            if (found) {
                this.store.close(held.id(), Status.HELD_OVER, Status.RESOLVED,
                        "found in the statement of " + statement.day(), "reconciliation", this.clock.instant());
            }
            else {
                this.store.close(held.id(), Status.HELD_OVER, Status.RESOLVED,
                        "not in the next statement either: reported by run " + runId, "reconciliation",
                        this.clock.instant());
                record(runId, held.kind(), held.outTradeNo(), held.refundNo(), held.localView(),
                        "absent from the statements of " + statement.day().minusDays(1) + " and " + statement.day(),
                        Status.OPEN, null, tally);
            }
        }
        for (Statement.Line line : statement.lines()) {
            if (line.isPayment()) {
                comparePayment(runId, line, tally);
            }
            else {
                compareRefund(runId, line, tally);
            }
        }
        for (LocalPayment payment : this.store.paidBetween(from, to)) {
            if (!capturedAtChannel.contains(payment.paymentNo())) {
                boolean late = payment.paidAt() != null && !payment.paidAt().isBefore(cutOff);
                record(runId, Kind.MISSING_AT_CHANNEL, payment.paymentNo(), null, view(payment), "no capture",
                        late ? Status.HELD_OVER : Status.OPEN, null, tally);
            }
        }
        for (LocalRefund refund : this.store.refundedBetween(from, refundsTo)) {
            if (!refundsAtChannel.containsKey(refund.refundNo())) {
                boolean late = refund.refundedAt() != null && !refund.refundedAt().isBefore(cutOff);
                record(runId, Kind.REFUND_MISMATCH, refund.paymentNo(), refund.refundNo(),
                        "refunded " + refund.amount() + " at " + refund.refundedAt(), "no refund",
                        late ? Status.HELD_OVER : Status.OPEN, null, tally);
            }
        }
        return tally;
    }

    private void comparePayment(long runId, Statement.Line line, Tally tally) {
        String channelView = "captured " + line.amount() + " at " + line.time();
        LocalPayment local = this.store.payment(line.outTradeNo()).orElse(null);
        Classification.Verdict verdict = Classification.payment(local, line.amount());
        switch (verdict.action()) {
            case NONE -> {
            }
            case OPEN -> record(runId, verdict.kind(), line.outTradeNo(), null, local == null ? "no such payment" : view(local),
                    channelView, Status.OPEN, null, tally);
            case REPAIR -> {
                Trade trade = new Trade(line.outTradeNo(), line.tradeNo(), line.amount(), "", TradeStatus.SUCCESS,
                        line.time(), line.amount(), 0, line.time());
                QueryResult repair = this.answers.repairCapture(line.outTradeNo(), trade);
                record(runId, verdict.kind(), line.outTradeNo(), null, view(local), channelView,
                        repair != null ? Status.REPAIRED : Status.OPEN, repair != null ? repair.text() : null, tally);
            }
        }
    }

    private void compareRefund(long runId, Statement.Line line, Tally tally) {
        String channelView = "refunded " + line.amount() + " at " + line.time();
        LocalRefund local = line.refundNo() != null ? this.store.refund(line.refundNo()).orElse(null) : null;
        Classification.Verdict verdict = Classification.refund(local, line.amount());
        switch (verdict.action()) {
            case NONE -> {
            }
            case OPEN -> record(runId, verdict.kind(), line.outTradeNo(), line.refundNo(),
                    local == null ? "no such refund" : "refund of " + local.amount() + " " + local.status(), channelView,
                    Status.OPEN, null, tally);
            case REPAIR -> {
                RefundResult outcome = this.refunds.issue(line.refundNo());
                record(runId, verdict.kind(), line.outTradeNo(), line.refundNo(), "refund requested, not confirmed",
                        channelView, outcome.kind() == RefundResult.Kind.REFUNDED ? Status.REPAIRED : Status.OPEN,
                        "confirmed: " + outcome.text(), tally);
            }
        }
    }

    private void record(long runId, Kind kind, String outTradeNo, @Nullable String refundNo, @Nullable String localView,
            @Nullable String channelView, Status status, @Nullable String repair, Tally tally) {
        this.transaction.executeWithoutResult(s -> this.store.difference(runId, kind, outTradeNo, refundNo,
                cut(localView), cut(channelView), status, cut(repair)));
        switch (status) {
            case OPEN -> tally.open++;
            case REPAIRED -> tally.repaired++;
            case HELD_OVER -> tally.heldOver++;
            case RESOLVED -> {
            }
        }
    }

    /**
     * An operator resolves an open difference with a recorded decision.
     * @return {@code false} when it is not open
     */
    public boolean resolve(long differenceId, String decision, String operator) {
        return Boolean.TRUE.equals(this.transaction.execute(s -> this.store.close(differenceId, Status.OPEN,
                Status.RESOLVED, decision, operator, this.clock.instant())));
    }

    List<Run> runs(int limit) {
        return this.store.runs(limit);
    }

    @Nullable Run runById(long id) {
        return this.store.run(id).orElse(null);
    }

    List<Difference> differences(long runId) {
        return this.store.differences(runId);
    }

    List<Difference> differences(Status status, int limit) {
        return this.store.differences(status, limit);
    }

    @Nullable Difference difference(long id) {
        return this.store.difference(id).orElse(null);
    }

    private static String view(LocalPayment payment) {
        return payment.status() + ", amount " + payment.amount() + ", captured " + payment.captured()
                + (payment.paidAt() != null ? " at " + payment.paidAt() : "");
    }

    private static @Nullable String cut(@Nullable String text) {
        return text == null || text.length() <= 255 ? text : text.substring(0, 255);
    }

    private static final class Tally {

        int open;

        int repaired;

        int heldOver;
    }
}
