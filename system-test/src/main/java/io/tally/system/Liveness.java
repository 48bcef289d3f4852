package io.tally.system;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import tools.jackson.databind.JsonNode;

import io.tally.system.SystemRun.Flow;
import io.tally.system.SystemRun.Plan;

/**
 * What must have happened in a system run, beside what must not: the invariants alone hold for a system that
 * never takes a payment. Payments were created (or their refusal is explained by an injected fault), users who
 * paid in time got their orders paid, every fault asked of the simulator was applied and noticed, and every
 * service killed came back.
 */
final class Liveness {

    /** The simulator's applied counter for each counted fault setting. */
    private static final Map<String, String> COUNTERS = Map.of("duplicateCallbacks", "duplicatedTrades",
            "dropCallbacks", "droppedTrades", "tamperCallbacks", "tamperedTrades", "failQueries", "failedQueries",
            "failRefunds", "failedRefunds");

    private final SystemRun.Config config;

    private final Cluster cluster;

    private final PublicApi api;

    Liveness(SystemRun.Config config, Cluster cluster, PublicApi api) {
        this.config = config;
        this.cluster = cluster;
        this.api = api;
    }

    List<Invariants.Verdict> verdicts(List<Flow> flows, Invariants.Check check, Chaos chaos) {
        List<Invariants.Verdict> verdicts = new ArrayList<>();
        verdicts.add(payments(flows, check, chaos));
        verdicts.add(paidShare(flows, check));
        verdicts.add(faults(check, chaos));
        verdicts.add(services(chaos));
        return verdicts;
    }

    /** Every PAY plan whose order awaited payment got a payment, or its refusal is explained by a fault. */
    private Invariants.Verdict payments(List<Flow> flows, Invariants.Check check, Chaos chaos) {
        int planned = 0;
        int created = 0;
        int explained = 0;
        int refusedWhilePayable = 0;
        List<String> unexplained = new ArrayList<>();
        for (Flow flow : flows) {
            if (!flow.awaited() || (flow.plan() != Plan.PAY && flow.plan() != Plan.PAY_AND_CANCEL)) {
                continue;
            }
            planned++;
            refusedWhilePayable += flow.refusals();
            if (flow.paymentNo() != null) {
                created++;
                continue;
            }
            String why = explanation(flow, chaos);
            if (why != null) {
                explained++;
            }
            else {
                unexplained.add(flow.placed().orderNo() + " (" + check.status(flow.placed().orderNo()) + "): last answer "
                        + flow.lastRefusal());
            }
        }
        return new Invariants.Verdict("8. every planned payment was created, or its refusal explained",
                unexplained.isEmpty() && planned > 0 && created > 0,
                planned + " planned, " + created + " created, " + explained + " not created during an injected outage; "
                        + refusedWhilePayable + " attempts refused before one was created"
                        + (planned == 0 || created == 0 ? "; no payment was created at all" : "")
                        + (unexplained.isEmpty() ? "" : "; unexplained: " + Invariants.first(unexplained)));
    }

    /**
     * Why a client that planned to pay got no payment, when an injected fault explains it: the service it needed
     * was killed (and came back) during the order's payment window, or the broker was restarted then.
     */
    private String explanation(Flow flow, Chaos chaos) {
        if (flow.payDeadline() == null) {
            return null;
        }
        Instant payableFrom = flow.payDeadline().minus(this.config.paymentWindow());
        for (Chaos.Kill kill : chaos.killed()) {
            if (kill.restarted() && kill.at().isBefore(flow.payDeadline()) && kill.back().isAfter(payableFrom)) {
                return kill.service().module() + " killed during its payment window";
            }
        }
        return null;
    }

    /** Of the PAY plans whose user paid at the channel in time, at least the configured share ended PAID. */
    private Invariants.Verdict paidShare(List<Flow> flows, Invariants.Check check) {
        Map<String, Integer> outcomes = new TreeMap<>();
        int paidInTime = 0;
        int paid = 0;
        for (Flow flow : flows) {
            if (flow.plan() != Plan.PAY) {
                continue;
            }
            String status = check.status(flow.placed().orderNo());
            String outcome;
            if (!flow.awaited()) {
                outcome = "out of stock";
            }
            else if (flow.paymentNo() == null) {
                outcome = "no payment";
            }
            else if (flow.payAnswer() != 200) {
                outcome = "pay refused (" + flow.payAnswer() + ")";
            }
            else {
                paidInTime++;
                if ("PAID".equals(status)) {
                    paid++;
                    outcome = "paid, PAID";
                }
                else {
                    outcome = "paid, " + status + (check.captured(flow.placed().orderNo()) > 0 ? " (refunded)" : "");
                }
            }
            outcomes.merge(outcome, 1, Integer::sum);
        }
        double share = paidInTime == 0 ? 0 : (double) paid / paidInTime;
        return new Invariants.Verdict(String.format(java.util.Locale.ROOT,
                "9. at least %.0f%% of the PAY plans paid in time ended PAID", this.config.minPaidShare() * 100),
                paidInTime > 0 && share >= this.config.minPaidShare(),
                String.format(java.util.Locale.ROOT, "%d of %d (%.1f%%); PAY plans: %s", paid, paidInTime, share * 100,
                        outcomes));
    }

    /**
     * Every fault the run asked for was acknowledged by the simulator and applied as often as asked (its own
     * counters say so), and the tampered callbacks among them reached payment-service and were noticed there.
     */
    private Invariants.Verdict faults(Invariants.Check check, Chaos chaos) {
        List<String> wrong = new ArrayList<>(chaos.failures().stream().filter(f -> f.startsWith("faults")).toList());
        Map<String, Long> asked = new LinkedHashMap<>();
        boolean delayAsked = false;
        for (Chaos.Injected injected : chaos.injected()) {
            injected.settings().forEach((name, value) -> {
                if (COUNTERS.containsKey(name)) {
                    asked.merge(name, ((Number) value).longValue(), Long::sum);
                }
            });
            delayAsked |= ((Number) injected.settings().getOrDefault("callbackDelayMs", 0)).longValue() > 0;
        }
        List<String> figures = new ArrayList<>();
        JsonNode applied;
        try {
            applied = this.api.appliedFaults();
        }
        catch (PublicApi.Unreadable ex) {
            return new Invariants.Verdict("10. every injected fault was acknowledged, applied and noticed", false,
                    ex.getMessage());
        }
        asked.forEach((name, count) -> {
            long done = applied.path(COUNTERS.get(name)).asLong(-1);
            figures.add(name + " " + done + "/" + count);
            if (done != count) {
                wrong.add(name + ": asked " + count + ", applied " + done);
            }
        });
        if (delayAsked) {
            long delayed = applied.path("delayedTrades").asLong(0);
            figures.add("delayed callbacks " + delayed);
            if (delayed == 0) {
                wrong.add("callbackDelayMs was set, but no callback was delayed");
            }
        }
        int planned = (int) chaos.injected().size() + (int) chaos.failures().stream().filter(f -> f.startsWith("faults")).count();
        long tamperedDelivered = check.ledger().values().stream()
            .filter(t -> t.get("callbackTampered").asBoolean() && t.get("callbacksSent").asInt() > 0).count();
        if (asked.containsKey("tamperCallbacks") && tamperedDelivered == 0) {
            wrong.add("no tampered callback reached payment-service");
        }
        long abnormal = check.payments().values().stream().flatMap(List::stream)
            .filter(p -> "ABNORMAL".equals(p.get("status").asString())).count();
        if (asked.containsKey("tamperCallbacks") && abnormal == 0) {
            wrong.add("no payment is ABNORMAL");
        }
        figures.add(tamperedDelivered + " tampered callbacks delivered, " + abnormal + " payments ABNORMAL");
        return new Invariants.Verdict("10. every injected fault was acknowledged, applied and noticed",
                wrong.isEmpty() && planned > 0,
                chaos.injected().size() + " fault settings acknowledged; applied: " + figures
                        + (wrong.isEmpty() ? "" : "; wrong: " + Invariants.first(wrong)));
    }

    /** Every service killed came back, and every service answers its health check at the end. */
    private Invariants.Verdict services(Chaos chaos) {
        List<String> wrong = new ArrayList<>(chaos.failures().stream().filter(f -> !f.startsWith("faults")).toList());
        List<String> figures = new ArrayList<>();
        for (Chaos.Kill kill : chaos.killed()) {
            figures.add(kill.service().shortName() + (kill.restarted()
                    ? " back after " + String.format(java.util.Locale.ROOT, "%.1f s", kill.away().toMillis() / 1000.0)
                    : " left down"));
            if (!kill.restarted()) {
                wrong.add(kill.service().module() + " never came back after its SIGKILL");
            }
        }
        for (Service service : Service.values()) {
            if (!this.cluster.healthy(service)) {
                wrong.add(service.module() + " is not healthy at the end");
            }
        }
        if (this.config.chaos() && chaos.killed().isEmpty()) {
            wrong.add("no service was killed");
        }
        return new Invariants.Verdict("11. every killed service came back; all healthy at the end", wrong.isEmpty(),
                (figures.isEmpty() ? "no kills" : "kills: " + figures) + ", broker restarts " + this.cluster.brokerRestarts()
                        + ", database restarts " + this.cluster.databaseRestarts()
                        + (this.cluster.startsAfterExit() == 0 ? ""
                                : ", " + this.cluster.startsAfterExit() + " processes started again after exiting while starting")
                        + (wrong.isEmpty() ? "" : "; wrong: " + Invariants.first(wrong)));
    }
}
