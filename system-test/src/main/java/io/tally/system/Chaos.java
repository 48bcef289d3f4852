package io.tally.system;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import tools.jackson.databind.JsonNode;

import static org.awaitility.Awaitility.await;

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

    /** What a step does, when, and on which lane (steps of one lane run one at a time, in order). */
    private record Step(double at, String what, Runnable action, Lane lane) {

        Step(double at, String what, Runnable action) {
            // the poison messages go on the broker's lane: published while the broker is away they could not be
            this(at, what, action, what.startsWith("faults") ? Lane.FAULTS
                    : what.startsWith("SIGKILL") && !what.contains("broker") ? Lane.KILLS : Lane.INFRASTRUCTURE);
        }
    }

    /**
     * The lanes steps run on. With the production scenario, kills of services and the broker's and database's
     * restarts run on lanes of their own, so that one slow restart (a JVM starting on a busy machine takes a minute)
     * does not push the others past the end of the load; otherwise kills and restarts share one lane.
     */
    private enum Lane {
        FAULTS, KILLS, INFRASTRUCTURE
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

    /** The orders done when the step running on this lane began. */
    private final ThreadLocal<Integer> doneNow = ThreadLocal.withInitial(() -> 0);

    Chaos(Cluster cluster, PublicApi api, SystemRun.Config config) {
        this.cluster = cluster;
        this.api = api;
        this.config = config;
    }

    void run(AtomicInteger done) {
        List<Step> steps = new ArrayList<>();
        boolean production = this.config.scenarios().contains(SystemRun.Scenario.PRODUCTION);
        if (production) {
            // callbacks are duplicated, dropped and tampered all along the load (see feedCallbackFaults)
            steps.add(fault(0.01, Map.of("duplicateCopies", 3)));
            steps.add(fault(0.15, Map.of("failQueries", 5)));
            Thread.ofPlatform().daemon().name("callback-faults").start(() -> feedCallbackFaults(done));
        }
        else {
            steps.add(fault(0.05, Map.of("duplicateCallbacks", 20, "duplicateCopies", 3)));
            // queries fail first for the payments whose callbacks are dropped
            steps.add(fault(0.15, Map.of("failQueries", 5, "dropCallbacks", 15)));
            steps.add(fault(0.25, Map.of("tamperCallbacks", 4)));
        }
        steps.add(fault(0.35, Map.of("callbackDelayMs", 3000)));
        steps.add(fault(0.45, Map.of("callbackDelayMs", 0, "failRefunds", 3)));
        if (this.config.chaos() && production) {
            // three kills of each service at random moments (one in each of nine equal slots of 5% to 85% of the
            // orders, the services in a random order of slots), its instances in turn; the seed is in the report
            long seed = this.cluster.runName().hashCode();
            java.util.Random random = new java.util.Random(seed);
            this.seed = seed;
            List<Service> slots = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                slots.addAll(Service.withState());
            }
            Collections.shuffle(slots, random);
            Map<Service, Integer> turns = new java.util.EnumMap<>(Service.class);
            for (int slot = 0; slot < slots.size(); slot++) {
                Service service = slots.get(slot);
                int turn = turns.merge(service, 1, Integer::sum) - 1;
                steps.add(kill(0.05 + (slot + random.nextDouble()) * 0.80 / slots.size(),
                        new Cluster.Instance(service, turn % this.config.instances()), true));
            }
            steps.add(new Step(0.20, "restart RabbitMQ", this.cluster::restartBroker));
            steps.add(new Step(0.80, "restart RabbitMQ", this.cluster::restartBroker));
        }
        else if (this.config.chaos()) {
            // with several instances, the second one of payment-service is the one killed (callbacks of its
            // payments go to it while it is away)
            steps.add(kill(0.20, new Cluster.Instance(Service.ORDER, 0), true));
            steps.add(kill(0.40, new Cluster.Instance(Service.INVENTORY, 0), true));
            steps.add(kill(0.60, new Cluster.Instance(Service.PAYMENT, this.config.instances() - 1),
                    this.config.sabotage() != SystemRun.Sabotage.PAYMENT_STAYS_DOWN));
            steps.add(new Step(0.75, "restart RabbitMQ", this.cluster::restartBroker));
        }
        if (this.config.scenarios().contains(SystemRun.Scenario.DATABASE_RESTART)) {
            steps.add(new Step(0.30, "restart the database (down 15 s)", this::databaseRestart));
        }
        if (this.config.scenarios().contains(SystemRun.Scenario.BROKER_NODE_KILL)) {
            steps.add(new Step(0.65, "SIGKILL the broker node leading most queues (down 30 s)", this::brokerNodeKill));
        }
        if (this.config.scenarios().contains(SystemRun.Scenario.BROKER_OUTAGE)) {
            steps.add(new Step(0.50, "broker outage of 60 s", this::brokerOutage));
        }
        if (this.config.scenarios().contains(SystemRun.Scenario.POISON)) {
            steps.add(new Step(0.55, "100 poison messages", this::poison));
        }
        steps.sort((a, b) -> Double.compare(a.at(), b.at()));
        // Lanes: the channel faults (quick) keep their moments while a kill, a restart or an outage (which take
        // seconds to minutes, one at a time) runs on a lane of its own.
        boolean separate = this.config.scenarios().contains(SystemRun.Scenario.PRODUCTION);
        Map<Lane, List<Step>> byLane = new java.util.EnumMap<>(Lane.class);
        for (Step step : steps) {
            if (!isFault(step)) {
                byLane.computeIfAbsent(separate ? step.lane() : Lane.KILLS, lane -> new ArrayList<>()).add(step);
            }
        }
        List<Thread> lanes = new ArrayList<>();
        byLane.forEach((lane, mine) -> {
            Thread thread = Thread.ofPlatform().name("chaos-" + lane.name().toLowerCase(java.util.Locale.ROOT))
                .start(() -> run(mine, done));
            lanes.add(thread);
            this.lanes.add(thread);
        });
        run(steps.stream().filter(Chaos::isFault).toList(), done);
        for (Thread lane : lanes) {
            try {
                lane.join();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean isFault(Step step) {
        return step.lane() == Lane.FAULTS;
    }

    private volatile long seed;

    /** The seed of the production scenario's kill moments, or 0. */
    long seed() {
        return this.seed;
    }

    private void run(List<Step> steps, AtomicInteger done) {
        for (Step step : steps) {
            while (done.get() < step.at() * this.config.orders()) {
                if (this.stopped) {
                    return;
                }
                PublicApi.pauseFor(100);
            }
            if (this.stopped) {
                return; // the run ended early: nothing more is started
            }
            this.doneNow.set(done.get());
            Instant begun = Instant.now();
            try {
                step.action().run();
            }
            catch (RuntimeException ex) {
                this.failures.add(step.what() + " failed: " + ex.getMessage());
                continue;
            }
            String line = step.what() + " at " + this.doneNow.get() + " orders ("
                    + Duration.between(begun, Instant.now()).toMillis() + " ms)";
            (step.what().startsWith("faults") || step.what().startsWith("100 poison") ? this.faults : this.kills).add(line);
        }
    }

    private Step fault(double at, Map<String, Object> settings) {
        return new Step(at, "faults " + settings, () -> {
            this.api.addFaults(settings); // throws unless the simulator acknowledged exactly these
            this.injected.add(new Injected(new LinkedHashMap<>(settings), this.doneNow.get()));
        });
    }

    private Step kill(double share, Cluster.Instance instance, boolean restart) {
        Service service = instance.service();
        String name = this.config.instances() == 1 ? service.module() : service.module() + " (" + instance.name() + ")";
        return new Step(share, "SIGKILL " + name + (restart ? "" : " (left down)"), () -> {
            Instant at = Instant.now();
            if (restart) {
                this.cluster.killAndRestart(instance);
                this.killed.add(new Kill(service, this.doneNow.get(), at, true, Instant.now()));
            }
            else {
                this.cluster.kill(instance);
                this.killed.add(new Kill(service, this.doneNow.get(), at, false, Instant.MAX));
            }
        });
    }

    /** The callback fault rates of production: 10% of paid trades duplicated, 5% dropped, 1% tampered. */
    static final Map<String, Integer> CALLBACK_FAULT_PERCENT = Map.of("duplicateCallbacks", 10, "dropCallbacks", 5,
            "tamperCallbacks", 1);

    private final Map<String, Long> callbackFaultsAsked = new java.util.concurrent.ConcurrentHashMap<>();

    private final AtomicInteger callbackFaultSettings = new AtomicInteger();

    /**
     * Keeps the callback faults at their production rates while the load runs: every second, each count the
     * simulator has used up (a count at 0, which nothing can consume meanwhile) is set to what the rate asks for the
     * trades paid so far (four in five orders are paid) minus what was asked before. It stops at 90% of the orders,
     * so that the last counts set are used up by the orders still coming.
     */
    private void feedCallbackFaults(AtomicInteger done) {
        while (!this.stopped && done.get() < 0.9 * this.config.orders()) {
            PublicApi.pauseFor(1000);
            try {
                JsonNode current = this.api.currentFaults();
                Map<String, Object> settings = new LinkedHashMap<>();
                long paid = done.get() * 4L / 5;
                CALLBACK_FAULT_PERCENT.forEach((name, percent) -> {
                    long wanted = paid * percent / 100 - this.callbackFaultsAsked.getOrDefault(name, 0L);
                    if (current.path(name).asInt(-1) == 0 && wanted > 0) {
                        settings.put(name, (int) wanted);
                    }
                });
                if (!settings.isEmpty()) {
                    this.api.addFaults(settings);
                    settings.forEach((name, count) -> this.callbackFaultsAsked.merge(name, ((Integer) count).longValue(), Long::sum));
                    this.injected.add(new Injected(settings, done.get()));
                    this.callbackFaultSettings.incrementAndGet();
                }
            }
            catch (RuntimeException ex) {
                // the simulator could not be asked this second: the next one tries again
            }
        }
    }

    /** The production callback faults in one line, when the run had them. */
    java.util.Optional<String> productionSummary() {
        if (!this.config.scenarios().contains(SystemRun.Scenario.PRODUCTION)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("callback faults at " + CALLBACK_FAULT_PERCENT + " percent of paid trades, set "
                + this.callbackFaultSettings.get() + " times, asked in all " + new java.util.TreeMap<>(this.callbackFaultsAsked));
    }

    private volatile Invariants.Verdict databaseVerdict;

    private volatile Thread databaseRecovery;

    private volatile Thread outageDrain;

    private final List<Thread> lanes = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * The database server stopped (as {@code systemctl stop} would) for 15 s and started again; then, in the
     * background, how long until every instance is healthy and every event written before the stop is published.
     */
    private void databaseRestart() {
        Duration down = Duration.ofSeconds(15);
        Instant stopped = Instant.now();
        this.cluster.restartDatabase(down);
        Instant back = Instant.now();
        String title = "14. the database stopped for " + down.toSeconds() + " s under load: every service recovers by itself "
                + "within 2 min of its return";
        this.databaseRecovery = Thread.ofPlatform().daemon().name("database-recovery").start(() -> {
            Instant until = back.plus(Duration.ofMinutes(2));
            Duration healthy = null;
            while (healthy == null && Instant.now().isBefore(until)) {
                if (Service.withState().stream().allMatch(this.cluster::healthy)) {
                    healthy = Duration.between(back, Instant.now());
                }
                else {
                    PublicApi.pauseFor(250);
                }
            }
            if (healthy == null) {
                this.databaseVerdict = new Invariants.Verdict(title, false,
                        "not every instance healthy 2 min after the database's return");
                return;
            }
            long left = awaitPublishedBefore(stopped, until);
            this.databaseVerdict = left != 0
                    ? new Invariants.Verdict(title, false, left + " events of before the stop still unpublished 2 min "
                            + "after the database's return")
                    : new Invariants.Verdict(title, true, String.format(java.util.Locale.ROOT,
                            "database away %.1f s; every instance healthy %.1f s after its return, every event written "
                                    + "before the stop published %.1f s after it",
                            Duration.between(stopped, back).toMillis() / 1000.0, healthy.toMillis() / 1000.0,
                            Duration.between(back, Instant.now()).toMillis() / 1000.0));
        });
    }

    private volatile Invariants.Verdict nodeVerdict;

    /**
     * The last node of the three-node broker killed with SIGKILL and left down for 30 s: the quorum queues (each on
     * all three nodes) keep a majority, clients reconnect to the other nodes. Measured: how long until every event
     * written before the kill was published, and how long the node took to come back and rejoin.
     */
    private void brokerNodeKill() {
        List<BrokerNode> nodes = this.cluster.brokerNodes();
        String title = "15. a broker node killed under load: queues replicated on 3 nodes, publishing resumed, the node rejoined";
        Map<String, Integer> members = nodes.get(0).quorumMembers(this.cluster.prefix());
        long replicated = members.values().stream().filter(count -> count == 3).count();
        // the victim is the node that leads the most of the run's queues: killing it moves leaders and connections
        Map<String, String> leaders = nodes.get(0).quorumLeaders(this.cluster.prefix());
        BrokerNode victim = nodes.stream()
            .max(java.util.Comparator.comparingLong((BrokerNode node) -> leaders.values().stream()
                .filter(node.nodeName()::equals).count()))
            .orElseThrow();
        BrokerNode reporter = nodes.stream().filter(node -> node != victim).findFirst().orElseThrow();
        long led = leaders.values().stream().filter(victim.nodeName()::equals).count();
        long connections = victim.connectionsHere(reporter);
        Instant killed = Instant.now();
        victim.crash();
        java.util.concurrent.atomic.AtomicReference<Duration> published = new java.util.concurrent.atomic.AtomicReference<>();
        Thread watcher = Thread.ofPlatform().daemon().name("node-kill-publish").start(() -> {
            if (awaitPublishedBefore(killed, killed.plus(Duration.ofMinutes(2))) == 0) {
                published.set(Duration.between(killed, Instant.now()));
            }
        });
        while (Duration.between(killed, Instant.now()).compareTo(Duration.ofSeconds(30)) < 0) {
            PublicApi.pauseFor(250); // the node stays down 30 s
        }
        Instant restarting = Instant.now();
        victim.startAfterCrash();
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
            .until(() -> reporter.runningNodes() == 3);
        Duration rejoined = Duration.between(restarting, Instant.now());
        try {
            watcher.join(Duration.ofMinutes(2));
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        Duration publishedAfter = published.get();
        Duration down = Duration.between(killed, restarting);
        boolean holds = publishedAfter != null && !members.isEmpty() && replicated == members.size() && led > 0
                && connections > 0;
        this.nodeVerdict = new Invariants.Verdict(title, holds, String.format(java.util.Locale.ROOT,
                "%d of %d quorum queues on 3 nodes before the kill; the node killed (%s) led %d of them and held %d client "
                        + "connections; events written before the kill published %s after it%s; node down %.1f s, back and "
                        + "rejoined %.1f s after its start",
                replicated, members.size(), victim.nodeName(), led, connections,
                publishedAfter == null ? "not within 2 min" : String.format(java.util.Locale.ROOT, "%.1f s",
                        publishedAfter.toMillis() / 1000.0),
                publishedAfter != null && publishedAfter.compareTo(down) < 0 ? " (node still down)" : "",
                down.toMillis() / 1000.0, rejoined.toMillis() / 1000.0));
    }

    private volatile Invariants.Verdict outage;

    private final List<String> poisonIds = Collections.synchronizedList(new ArrayList<>());

    /** The broker away for 60 s under load (every node); then how long until every event of before its return was published. */
    private void brokerOutage() {
        Duration outage = Duration.ofSeconds(60);
        this.cluster.stopBroker();
        long stopped = System.nanoTime();
        while (System.nanoTime() - stopped < outage.toNanos()) {
            PublicApi.pauseFor(500); // the outage itself
        }
        this.cluster.startBroker();
        Instant back = Instant.now();
        this.outageDrain = Thread.ofPlatform().daemon().name("outage-drain").start(() -> {
            long left = awaitPublishedBefore(back, back.plus(Duration.ofMinutes(10)));
            if (left == 0) {
                Duration drained = Duration.between(back, Instant.now());
                this.outage = new Invariants.Verdict("12. a 60 s broker outage under load: its backlog published "
                        + "within twice the outage", drained.compareTo(outage.multipliedBy(2)) <= 0,
                        String.format(java.util.Locale.ROOT, "broker away %.0f s; every event of before its return "
                                + "published %.1f s after it", outage.toMillis() / 1000.0, drained.toMillis() / 1000.0));
                return;
            }
            this.outage = new Invariants.Verdict("12. a 60 s broker outage under load: its backlog published within twice "
                    + "the outage", false, left + " events of before the broker's return still unpublished after 10 min");
        });
    }

    /**
     * Waits until every outbox row written before {@code since} is published, or {@code until}; answers how many are
     * left (0 when all are published, -1 when the databases could not be read at the end).
     */
    private long awaitPublishedBefore(Instant since, Instant until) {
        long left = -1;
        while (Instant.now().isBefore(until)) {
            left = unpublishedBefore(since);
            if (left == 0) {
                return 0;
            }
            PublicApi.pauseFor(250);
        }
        return left;
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

    /** The verdicts of the scenarios the run had, once their measurements have ended (each bounded by its own limit). */
    List<Invariants.Verdict> scenarioVerdicts() {
        for (Thread measuring : java.util.Arrays.asList(this.outageDrain, this.databaseRecovery)) {
            if (measuring != null) {
                try {
                    measuring.join(Duration.ofMinutes(11));
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        List<Invariants.Verdict> verdicts = new ArrayList<>();
        if (this.config.scenarios().contains(SystemRun.Scenario.BROKER_OUTAGE)) {
            verdicts.add(this.outage != null ? this.outage : new Invariants.Verdict("12. a 60 s broker outage under load: "
                    + "its backlog published within twice the outage", false, "the outage did not happen or was not measured"));
        }
        if (this.config.scenarios().contains(SystemRun.Scenario.POISON)) {
            verdicts.add(poisonVerdict());
        }
        if (this.config.scenarios().contains(SystemRun.Scenario.DATABASE_RESTART)) {
            verdicts.add(this.databaseVerdict != null ? this.databaseVerdict : new Invariants.Verdict("14. the database "
                    + "restarted under load: every service recovers by itself", false, "the restart did not happen or was not measured"));
        }
        if (this.config.scenarios().contains(SystemRun.Scenario.BROKER_NODE_KILL)) {
            verdicts.add(this.nodeVerdict != null ? this.nodeVerdict : new Invariants.Verdict("15. a broker node killed "
                    + "under load", false, "the kill did not happen or was not measured"));
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
        for (Thread lane : this.lanes) {
            try {
                lane.join(Duration.ofMinutes(5)); // a kill or restart under way ends before the cluster is closed
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
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
        boolean production = this.config.scenarios().contains(SystemRun.Scenario.PRODUCTION);
        return (production ? 4 : 5) + (this.config.chaos() ? (production ? 11 : 4) : 0);
    }
}
