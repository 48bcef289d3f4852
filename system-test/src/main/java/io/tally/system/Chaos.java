package io.tally.system;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The faults of a system run, each at its share of the orders done: channel faults set at the simulator (and
 * acknowledged by it), SIGKILLs of each service, and a restart of the run's broker. It records what it did, and
 * which services it left down, for the liveness checks.
 */
final class Chaos {

    /** A fault the simulator acknowledged: the settings asked for, and when. */
    record Injected(Map<String, Object> settings, int atOrders) {
    }

    /** A kill: of which service, when, whether it came back and when. */
    record Kill(Service service, int atOrders, Instant at, boolean restarted, Instant back) {

        Duration away() {
            return Duration.between(this.at, this.back);
        }
    }

    private record Step(double at, String what, Runnable action) {
    }

    private final Cluster cluster;

    private final PublicApi api;

    private final SystemRun.Config config;

    private final List<String> kills = Collections.synchronizedList(new ArrayList<>());

    private final List<String> faults = Collections.synchronizedList(new ArrayList<>());

    private final List<Injected> injected = Collections.synchronizedList(new ArrayList<>());

    private final List<Kill> killed = Collections.synchronizedList(new ArrayList<>());

    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    private volatile boolean stopped;

    private volatile int doneNow;

    Chaos(Cluster cluster, PublicApi api, SystemRun.Config config) {
        this.cluster = cluster;
        this.api = api;
        this.config = config;
    }

    void run(AtomicInteger done) {
        List<Step> steps = new ArrayList<>();
        steps.add(fault(0.05, Map.of("duplicateCallbacks", 20, "duplicateCopies", 3)));
        // queries fail first for the payments whose callbacks are dropped
        steps.add(fault(0.15, Map.of("failQueries", 5, "dropCallbacks", 15)));
        steps.add(fault(0.25, Map.of("tamperCallbacks", 4)));
        steps.add(fault(0.35, Map.of("callbackDelayMs", 3000)));
        steps.add(fault(0.45, Map.of("callbackDelayMs", 0, "failRefunds", 3)));
        if (this.config.chaos()) {
            steps.add(kill(0.20, Service.ORDER, true));
            steps.add(kill(0.40, Service.INVENTORY, true));
            steps.add(kill(0.60, Service.PAYMENT, this.config.sabotage() != SystemRun.Sabotage.PAYMENT_STAYS_DOWN));
            steps.add(new Step(0.75, "restart RabbitMQ", this.cluster::restartBroker));
        }
        steps.sort((a, b) -> Double.compare(a.at(), b.at()));
        for (Step step : steps) {
            while (done.get() < step.at() * this.config.orders()) {
                if (this.stopped) {
                    return;
                }
                PublicApi.pauseFor(100);
            }
            this.doneNow = done.get();
            Instant begun = Instant.now();
            try {
                step.action().run();
            }
            catch (RuntimeException ex) {
                this.failures.add(step.what() + " failed: " + ex.getMessage());
                continue;
            }
            String line = step.what() + " at " + this.doneNow + " orders ("
                    + Duration.between(begun, Instant.now()).toMillis() + " ms)";
            (step.what().startsWith("faults") ? this.faults : this.kills).add(line);
        }
    }

    private Step fault(double at, Map<String, Object> settings) {
        return new Step(at, "faults " + settings, () -> {
            this.api.addFaults(settings); // throws unless the simulator acknowledged exactly these
            this.injected.add(new Injected(new LinkedHashMap<>(settings), this.doneNow));
        });
    }

    private Step kill(double share, Service service, boolean restart) {
        return new Step(share, "SIGKILL " + service.module() + (restart ? "" : " (left down)"), () -> {
            Instant at = Instant.now();
            if (restart) {
                this.cluster.killAndRestart(service);
                this.killed.add(new Kill(service, this.doneNow, at, true, Instant.now()));
            }
            else {
                this.cluster.kill(service);
                this.killed.add(new Kill(service, this.doneNow, at, false, Instant.MAX));
            }
        });
    }

    /** Ends the run of steps (the load ended early). */
    void stop() {
        this.stopped = true;
    }

    List<String> kills() {
        return List.copyOf(this.kills);
    }

    List<String> faults() {
        return List.copyOf(this.faults);
    }

    List<Injected> injected() {
        return List.copyOf(this.injected);
    }

    List<Kill> killed() {
        return List.copyOf(this.killed);
    }

    /** Steps that could not be carried out (a fault the simulator refused, a kill that failed). */
    List<String> failures() {
        return List.copyOf(this.failures);
    }

    /** How many steps the run has. */
    int planned() {
        return 5 + (this.config.chaos() ? 4 : 0);
    }
}
