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
        if (this.config.scenarios().contains(SystemRun.Scenario.BROKER_OUTAGE)) {
            steps.add(new Step(0.50, "broker outage of 60 s", this::brokerOutage));
        }
        if (this.config.scenarios().contains(SystemRun.Scenario.POISON)) {
            steps.add(new Step(0.55, "100 poison messages", this::poison));
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
            (step.what().startsWith("faults") || step.what().startsWith("100 poison") ? this.faults : this.kills).add(line);
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

    private volatile Invariants.Verdict outage;

    private final List<String> poisonIds = Collections.synchronizedList(new ArrayList<>());

    /** The broker away for 60 s under load; then how long until every event of before its return was published. */
    private void brokerOutage() {
        Duration outage = Duration.ofSeconds(60);
        this.cluster.stopBroker();
        long stopped = System.nanoTime();
        while (System.nanoTime() - stopped < outage.toNanos()) {
            PublicApi.pauseFor(500); // the outage itself
        }
        this.cluster.startBroker();
        Instant back = Instant.now();
        Thread.ofPlatform().daemon().name("outage-drain").start(() -> {
            Instant until = back.plus(Duration.ofMinutes(10));
            long left = -1;
            while (Instant.now().isBefore(until)) {
                left = unpublishedBefore(back);
                if (left == 0) {
                    Duration drained = Duration.between(back, Instant.now());
                    this.outage = new Invariants.Verdict("12. a 60 s broker outage under load: its backlog published "
                            + "within twice the outage", drained.compareTo(outage.multipliedBy(2)) <= 0,
                            String.format(java.util.Locale.ROOT, "broker away %.0f s; every event of before its return "
                                    + "published %.1f s after it", outage.toMillis() / 1000.0, drained.toMillis() / 1000.0));
                    return;
                }
                PublicApi.pauseFor(250);
            }
            this.outage = new Invariants.Verdict("12. a 60 s broker outage under load: its backlog published within twice "
                    + "the outage", false, left + " events of before the broker's return still unpublished after 10 min");
        });
    }

    /** Outbox rows of all three services written before {@code back} and not yet published. */
    private long unpublishedBefore(Instant back) {
        long left = 0;
        for (Service service : Service.withState()) {
            try (java.sql.Connection connection = this.cluster.connect(service);
                    java.sql.PreparedStatement statement = connection.prepareStatement(
                            "SELECT COUNT(*) FROM tally_outbox WHERE status <> 'SENT' AND created_at < ?")) {
                statement.setString(1, io.tally.system.Time.sql(back));
                try (java.sql.ResultSet rs = statement.executeQuery()) {
                    rs.next();
                    left += rs.getLong(1);
                }
            }
            catch (java.sql.SQLException ex) {
                return -1;
            }
        }
        return left;
    }

    /**
     * 100 messages that are not JSON, published straight into live queues (25 to each of four event types, each
     * consumed by one service), as a broken producer would.
     */
    private void poison() {
        com.rabbitmq.client.ConnectionFactory factory = new com.rabbitmq.client.ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(this.cluster.brokerPort());
        String[][] targets = { { "order.events", "order.created" }, { "inventory.events", "stock.reserved" },
                { "payment.events", "payment.succeeded" }, { "order.events", "order.awaiting-payment" } };
        try (com.rabbitmq.client.Connection connection = factory.newConnection();
                com.rabbitmq.client.Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            for (int i = 0; i < 100; i++) {
                String[] target = targets[i % targets.length];
                String id = "poison-" + this.cluster.runName() + "-" + i;
                channel.basicPublish(this.cluster.prefix() + target[0], target[1], true,
                        new com.rabbitmq.client.AMQP.BasicProperties.Builder().messageId(id).type(target[1])
                            .contentType("application/json").deliveryMode(2).build(),
                        ("{not an event " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                this.poisonIds.add(id);
            }
            channel.waitForConfirmsOrDie(30_000);
        }
        catch (java.io.IOException | java.util.concurrent.TimeoutException | InterruptedException ex) {
            throw new IllegalStateException("Could not publish the poison messages: " + ex, ex);
        }
    }

    /** The verdicts of the scenarios the run had. */
    List<Invariants.Verdict> scenarioVerdicts() {
        List<Invariants.Verdict> verdicts = new ArrayList<>();
        if (this.config.scenarios().contains(SystemRun.Scenario.BROKER_OUTAGE)) {
            verdicts.add(this.outage != null ? this.outage : new Invariants.Verdict("12. a 60 s broker outage under load: "
                    + "its backlog published within twice the outage", false, "the outage did not happen or was not measured"));
        }
        if (this.config.scenarios().contains(SystemRun.Scenario.POISON)) {
            verdicts.add(poisonVerdict());
        }
        return verdicts;
    }

    private Invariants.Verdict poisonVerdict() {
        String title = "13. 100 poison messages in live queues: 100 dead letters parked with their reason";
        if (this.poisonIds.size() != 100) {
            return new Invariants.Verdict(title, false, this.poisonIds.size() + " poison messages published, not 100");
        }
        java.util.Map<String, String> found = new java.util.HashMap<>();
        for (Service service : Service.withState()) {
            try (java.sql.Connection connection = this.cluster.connect(service);
                    java.sql.Statement statement = connection.createStatement();
                    java.sql.ResultSet rs = statement.executeQuery("SELECT message_id, status, failure_kind, reason "
                            + "FROM tally_dead_letter WHERE message_id LIKE 'poison-%'")) {
                while (rs.next()) {
                    found.put(rs.getString(1), rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4));
                }
            }
            catch (java.sql.SQLException ex) {
                return new Invariants.Verdict(title, false, "cannot read the dead letters of " + service.module() + ": " + ex);
            }
        }
        long parked = this.poisonIds.stream().filter(id -> found.getOrDefault(id, "").startsWith("PARKED PERMANENT ")
                && found.get(id).length() > "PARKED PERMANENT ".length()).count();
        return new Invariants.Verdict(title, parked == 100 && found.size() == 100,
                parked + " of 100 parked as PERMANENT with a reason (" + found.size() + " dead letters of them), e.g. "
                        + (found.isEmpty() ? "none" : found.values().iterator().next()));
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
