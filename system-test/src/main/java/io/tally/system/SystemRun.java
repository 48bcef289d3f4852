package io.tally.system;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The system test: a load of orders through the public HTTP contract, with payments, user cancels, timeouts
 * and channel faults, while each service is killed with SIGKILL and restarted and the run's broker is
 * restarted; then, once faults stop and the system converges, every invariant of the design, what must have
 * happened (liveness: payments taken, faults delivered), and that both keep holding for longer than anything
 * still scheduled could take to fire.
 */
public final class SystemRun {

    /** A deliberate defect, to show that the system test notices it. */
    public enum Sabotage {
        /** None: the system as built. */
        NONE,
        /** payment-service is killed at its turn and never started again. */
        PAYMENT_STAYS_DOWN,
        /** payment-service cannot reach the channel: it takes no money at all. */
        PAYMENT_TAKES_NO_MONEY
    }

    /** Longer faults a run may add to its load. */
    public enum Scenario {
        /** The run's broker is stopped for 60 s under load, then started: nothing lost, the backlog drained in 2x. */
        BROKER_OUTAGE,
        /** 100 poison messages (not JSON) published into live queues: 100 dead letters with reasons, no order hurt. */
        POISON,
        /**
         * The run's own database server stopped (SIGTERM) for 15 s under load and started again: every service
         * recovers by itself, nothing lost.
         */
        DATABASE_RESTART,
        /** One node of a three-node broker killed (SIGKILL) under load, left down 30 s, then started again. */
        BROKER_NODE_KILL,
        /**
         * Production fault levels: every service killed three times at random moments (instances in turn), the broker
         * restarted twice, and callbacks duplicated (10%), dropped (5%) and tampered (1%) all along the load.
         */
        PRODUCTION
    }

    /**
     * How big and how rough.
     *
     * @param orders orders placed
     * @param concurrency clients placing them
     * @param basePort first port (0: free ports)
     * @param chaos whether services are killed and the broker restarted
     * @param paymentWindow the deadline shown to users
     * @param minPaidShare the share of PAY plans whose user paid in time that must end PAID
     * @param convergence how long the system may take to converge after the faults stop
     * @param sabotage a deliberate defect, or none
     * @param scenarios longer faults added to the load
     * @param instances how many instances of each service run (the simulator runs once)
     * @param brokerNodes the nodes of the run's broker: 1, or 3 for a cluster
     */
    public record Config(int orders, int concurrency, int basePort, boolean chaos, Duration paymentWindow,
            double minPaidShare, Duration convergence, Sabotage sabotage, java.util.Set<Scenario> scenarios,
            int instances, int brokerNodes) {

        public Config {
            if (scenarios.contains(Scenario.BROKER_NODE_KILL) && brokerNodes < 3) {
                throw new IllegalArgumentException("Killing a broker node needs a cluster of three nodes (--broker-nodes=3)");
            }
        }

        /** Defaults for the CI size and the soak. */
        public Config(int orders, int concurrency, boolean chaos) {
            this(orders, concurrency, 0, chaos, Duration.ofSeconds(20), DEFAULT_MIN_PAID_SHARE, Duration.ofMinutes(6),
                    Sabotage.NONE, java.util.Set.of());
        }

        public Config(int orders, int concurrency, int basePort, boolean chaos, Duration paymentWindow,
                double minPaidShare, Duration convergence, Sabotage sabotage, java.util.Set<Scenario> scenarios) {
            this(orders, concurrency, basePort, chaos, paymentWindow, minPaidShare, convergence, sabotage, scenarios, 1, 1);
        }

        public Config withSabotage(Sabotage sabotage, Duration convergence) {
            return new Config(this.orders, this.concurrency, this.basePort, this.chaos, this.paymentWindow,
                    this.minPaidShare, convergence, sabotage, this.scenarios, this.instances, this.brokerNodes);
        }

        public Config withPaymentWindow(Duration window) {
            return new Config(this.orders, this.concurrency, this.basePort, this.chaos, window, this.minPaidShare,
                    this.convergence, this.sabotage, this.scenarios, this.instances, this.brokerNodes);
        }

        /** {@code instances} of each service on a broker of {@code brokerNodes} nodes (1 or 3). */
        public Config withScale(int instances, int brokerNodes) {
            return new Config(this.orders, this.concurrency, this.basePort, this.chaos, this.paymentWindow,
                    this.minPaidShare, this.convergence, this.sabotage, this.scenarios, instances, brokerNodes);
        }

        /**
         * With these scenarios. A broker outage needs a payment window longer than the outage (users who were told
         * to pay must still be able to once the events flow again): it is made 2 minutes at least.
         */
        public Config withScenarios(java.util.Set<Scenario> added) {
            Duration window = added.contains(Scenario.BROKER_OUTAGE) && this.paymentWindow.compareTo(Duration.ofMinutes(2)) < 0
                    ? Duration.ofMinutes(2) : this.paymentWindow;
            return new Config(this.orders, this.concurrency, this.basePort, this.chaos, window, this.minPaidShare,
                    this.convergence, this.sabotage, java.util.Set.copyOf(added), this.instances, this.brokerNodes);
        }
    }

    /** The share of paid-in-time PAY plans that must end PAID unless configured otherwise. */
    public static final double DEFAULT_MIN_PAID_SHARE = 0.9;

    /** What a run did and found. */
    public record Report(Config config, Map<String, Integer> plans, List<String> chaos, List<String> faults,
            Duration load, Duration convergence, Duration stable, List<Invariants.Verdict> verdicts) {

        public boolean holds() {
            return this.verdicts.stream().allMatch(Invariants.Verdict::holds);
        }

        public String text() {
            StringBuilder text = new StringBuilder();
            text.append("System test: ").append(this.config.orders()).append(" orders, ").append(this.config.concurrency())
                .append(" clients, payment window ").append(this.config.paymentWindow().toSeconds()).append(" s, ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores")
                .append(", ").append(this.config.instances()).append(this.config.instances() == 1 ? " instance" : " instances")
                .append(" of each service, ").append(this.config.brokerNodes())
                .append(this.config.brokerNodes() == 1 ? " broker node" : " broker nodes (a cluster)")
                .append(this.config.sabotage() == Sabotage.NONE ? "" : ", SABOTAGED: " + this.config.sabotage())
                .append('\n');
            text.append("  plans:       ").append(this.plans).append('\n');
            text.append("  kills and restarts: ").append(this.chaos).append('\n');
            text.append("  faults:      ").append(this.faults).append('\n');
            text.append("  load ").append(this.load.toSeconds()).append(" s, convergence ")
                .append(this.convergence.toSeconds()).append(" s, then held for ").append(this.stable.toSeconds())
                .append(" s\n");
            for (Invariants.Verdict verdict : this.verdicts) {
                text.append("  ").append(verdict).append('\n');
            }
            return text.toString();
        }
    }

    enum Plan {
        PAY, CANCEL, TIMEOUT, PAY_AND_CANCEL
    }

    /**
     * What one client did with its order, for the liveness checks.
     *
     * @param placed the order
     * @param plan what the client meant to do
     * @param awaited whether the order reached AWAITING_PAYMENT (else: out of stock)
     * @param payDeadline the deadline shown to the user
     * @param paymentNo the payment created, or {@code null}
     * @param refusals refused payment attempts (4xx), the last one kept in {@code lastRefusal}
     * @param lastRefusal the last refusal or failure, or {@code null}
     * @param gaveUpAt when the client stopped trying to create a payment without one, or {@code null}
     * @param payAnswer the channel's answer to the user's payment (0: not paid)
     * @param paidAt when the user paid
     */
    record Flow(Invariants.Placed placed, Plan plan, boolean awaited, @Nullable Instant payDeadline,
            @Nullable String paymentNo, int refusals, PublicApi.@Nullable Answer lastRefusal, @Nullable Instant gaveUpAt,
            int payAnswer, @Nullable Instant paidAt) {
    }

    private SystemRun() {
    }

    public static Report run(Path home, Config config) throws Exception {
        Cluster.Settings settings = Cluster.Settings.fast().withPaymentWindow(config.paymentWindow())
            .withBasePort(config.basePort())
            .withScale(config.instances(), config.brokerNodes(), config.scenarios().contains(Scenario.DATABASE_RESTART));
        if (config.sabotage() == Sabotage.PAYMENT_TAKES_NO_MONEY) {
            // no channel can be reached: payment-service takes no money through any of them
            settings = settings.withExtraArgs(List.of("--payment.channel.base-url=http://127.0.0.1:9",
                    "--payment.alipay.server-url=http://127.0.0.1:9/gateway.do", "--payment.wechat.base-url=http://127.0.0.1:9"));
        }
        try (Cluster cluster = new Cluster(home, settings)) {
            cluster.start();
            PublicApi api = new PublicApi(cluster);
            // the checks wait less for a read than the clients do: the services should all be up by then
            PublicApi checks = new PublicApi(cluster, Duration.ofMinutes(1), Duration.ofSeconds(10));
            Invariants invariants = new Invariants(cluster, checks, Invariants.Scope.WHOLE_SYSTEM);
            String run = cluster.runName();
            Map<String, Integer> stock = new LinkedHashMap<>();
            int skus = 10;
            for (int i = 0; i < skus; i++) {
                String sku = run + "-SKU-" + i;
                int putIn = Math.max(5, config.orders() * 13 / 10 / skus);
                PublicApi.Answer put = api.putStock(sku, 100L * (i + 1), putIn);
                if (!put.ok()) {
                    throw new IllegalStateException("Stock not put in: " + put);
                }
                stock.put(sku, putIn);
            }
            List<Flow> flows = Collections.synchronizedList(new ArrayList<>());
            List<String> malformed = Collections.synchronizedList(new ArrayList<>());
            Map<String, Integer> plans = new ConcurrentHashMap<>();
            Chaos chaos = new Chaos(cluster, api, config);
            AtomicInteger done = new AtomicInteger();
            Instant started = Instant.now();
            ExecutorService clients = Executors.newFixedThreadPool(config.concurrency());
            ExecutorService chaosThread = Executors.newSingleThreadExecutor();
            Future<?> chaosDone = chaosThread.submit(() -> chaos.run(done));
            try (Progress progress = progress(cluster, config, done, chaos)) {
                progress.phase("load");
                List<Future<?>> futures = new ArrayList<>();
                for (int i = 0; i < config.orders(); i++) {
                    int n = i;
                    futures.add(clients.submit(() -> {
                        Plan plan = plan(n);
                        plans.merge(plan.name(), 1, Integer::sum);
                        String sku = run + "-SKU-" + ThreadLocalRandom.current().nextInt(skus);
                        int quantity = 1 + ThreadLocalRandom.current().nextInt(2);
                        String user = run + "-user-" + (n % 50);
                        try {
                            String orderNo = api.placeOrder(user, sku, quantity);
                            flows.add(flow(api, new Invariants.Placed(orderNo, user, sku, quantity), plan, config, malformed));
                            return null;
                        }
                        catch (RuntimeException ex) {
                            // one client's failure fails verdict 17, not the whole run
                            malformed.add("the client of order " + n + " failed: " + ex);
                            return null;
                        }
                        finally {
                            done.incrementAndGet();
                        }
                    }));
                }
                try {
                    for (Future<?> future : futures) {
                        future.get();
                    }
                    chaosDone.get();
                }
                finally {
                    chaos.stop();
                    clients.shutdownNow();
                    chaosThread.shutdownNow();
                }
                Duration load = Duration.between(started, Instant.now());
                progress.print();
                progress.phase("converging");
                api.faults(Map.of());

                List<Invariants.Placed> placed = flows.stream().map(Flow::placed).toList();
                Instant converging = Instant.now();
                Instant deadline = converging.plus(config.convergence());
                Invariants.Check check;
                do {
                    check = invariants.check(placed, stock, false);
                    if (check.holds()) {
                        break;
                    }
                    PublicApi.pauseFor(2000);
                } while (Instant.now().isBefore(deadline));
                boolean converged = check.holds();
                progress.phase(converged ? "holding" : "not converged");
                Duration convergence = Duration.between(converging, Instant.now());
                // Converged is not enough: retries, re-drives and callbacks still scheduled could break it later.
                Duration window = settings.longestScheduledDelay().plusSeconds(10);
                Instant convergedAt = Instant.now();
                List<String> relapses = new ArrayList<>();
                while (converged && Instant.now().isBefore(convergedAt.plus(window))) {
                    PublicApi.pauseFor(Math.min(5000, Math.max(0, Duration.between(Instant.now(), convergedAt.plus(window)).toMillis())));
                    check = invariants.check(placed, stock, false);
                    if (!check.holds()) {
                        relapses.add("broken " + Duration.between(convergedAt, Instant.now()).toSeconds()
                                + " s after converging: " + check.broken());
                    }
                }
                Duration stable = Duration.between(convergedAt, Instant.now());
                Invariants.Check last = invariants.check(placed, stock, true);
                List<Invariants.Verdict> verdicts = new ArrayList<>(last.verdicts());
                verdicts.add(new Invariants.Verdict("7. the invariants keep holding for " + window.toSeconds()
                        + " s after converging (longer than any scheduled retry, re-drive or callback)",
                        converged && relapses.isEmpty() && last.holds(),
                        !converged ? "never converged within " + config.convergence().toSeconds() + " s"
                                : relapses.isEmpty() ? "held " + stable.toSeconds() + " s" : Invariants.first(relapses)));
                verdicts.addAll(new Liveness(config, cluster, checks).verdicts(flows, last, chaos));
                verdicts.addAll(chaos.scenarioVerdicts());
                verdicts.add(new Invariants.Verdict("17. every client's flow ran to its end; every 2xx to a payment's "
                        + "creation carried the payment", malformed.isEmpty(), malformed.isEmpty() ? "all of them"
                                : malformed.size() + " did not: " + Invariants.first(malformed)));
                if (config.instances() > 1) {
                    verdicts.add(new Singletons(cluster).verdict());
                }
                verdicts.add(channelsVerdict(cluster));
                List<String> faultLines = new ArrayList<>(chaos.faults());
                chaos.productionSummary().ifPresent(faultLines::add);
                List<String> chaosLines = new ArrayList<>(chaos.kills());
                if (chaos.seed() != 0) {
                    chaosLines.add("kill moments from seed " + chaos.seed());
                }
                return new Report(config, new TreeMap<>(plans), chaosLines, faultLines, load, convergence, stable,
                        verdicts);
            }
        }
    }

    /**
     * Verdict 18: every channel of the run carried payments to their end: for each, some payments succeeded and
     * some were refunded (the plans cancel paid orders in every run), read from payment-service's own table.
     */
    static Invariants.Verdict channelsVerdict(Cluster cluster) {
        Map<String, Map<String, Integer>> byChannel = new TreeMap<>();
        String unread = null;
        try (java.sql.Connection connection = cluster.connect(Service.PAYMENT);
                java.sql.Statement statement = connection.createStatement();
                java.sql.ResultSet rs = statement.executeQuery(
                        "SELECT channel, status, COUNT(*) FROM payment GROUP BY channel, status")) {
            while (rs.next()) {
                byChannel.computeIfAbsent(rs.getString(1), c -> new TreeMap<>()).put(rs.getString(2), rs.getInt(3));
            }
        }
        catch (java.sql.SQLException | RuntimeException ex) {
            unread = "payment-service's payments could not be read: " + ex.getMessage();
        }
        List<String> idle = new ArrayList<>();
        for (String channel : cluster.channels()) {
            Map<String, Integer> statuses = byChannel.getOrDefault(channel, Map.of());
            if (statuses.getOrDefault("SUCCEEDED", 0) == 0 || statuses.getOrDefault("REFUNDED", 0) == 0) {
                idle.add(channel);
            }
        }
        boolean holds = unread == null && idle.isEmpty();
        return new Invariants.Verdict("18. every channel (" + String.join(", ", cluster.channels())
                + ") carried payments to success and to refund", holds,
                unread != null ? unread : (idle.isEmpty() ? "" : "none through " + idle + "; ") + byChannel);
    }

    /**
     * Every {@code tally.system.progress} (10 s by default; 0 for none): orders done of the run's, the rate since the
     * last line, the outbox backlog of each service, kills and faults so far.
     */
    private static Progress progress(Cluster cluster, Config config, AtomicInteger done, Chaos chaos) {
        Duration every = Progress.every(System.getProperty("tally.system.progress", "10s"));
        long[] last = { 0, System.nanoTime() };
        return new Progress("system", every, System.out, () -> {
            long now = System.nanoTime();
            int orders = done.get();
            double rate = Progress.rate(last[0], orders, Duration.ofNanos(now - last[1]));
            last[0] = orders;
            last[1] = now;
            Map<Service, Long> backlog = cluster.outboxBacklog();
            return String.format("orders %d/%d done (%.1f/s), outbox backlog %s, kills %d, faults %d", orders,
                    config.orders(), rate, backlog.isEmpty() ? "unread" : backlog.values().stream().mapToLong(Long::longValue).sum()
                            + " " + backlog, chaos.kills().size(), chaos.faults().size());
        });
    }

    private static Plan plan(int n) {
        int slot = n % 20;
        if (slot < 14) {
            return Plan.PAY;
        }
        if (slot < 16) {
            return Plan.CANCEL;
        }
        if (slot < 18) {
            return Plan.TIMEOUT;
        }
        return Plan.PAY_AND_CANCEL;
    }

    /** One client's order: waits until it is payable (or cancelled), then follows its plan. */
    private static Flow flow(PublicApi api, Invariants.Placed placed, Plan plan, Config config, List<String> malformed) {
        String orderNo = placed.orderNo();
        JsonNode order = api.order(orderNo);
        Instant until = Instant.now().plus(Duration.ofMinutes(2));
        while ("PENDING_STOCK".equals(order.path("status").asString()) && Instant.now().isBefore(until)) {
            PublicApi.pauseFor(200);
            order = api.order(orderNo);
        }
        if (!"AWAITING_PAYMENT".equals(order.path("status").asString())) {
            return new Flow(placed, plan, false, null, null, 0, null, null, 0, null); // out of stock
        }
        Instant deadline = Instant.parse(order.get("payDeadline").asString());
        switch (plan) {
            case TIMEOUT -> {
                return new Flow(placed, plan, true, deadline, null, 0, null, null, 0, null);
            }
            case CANCEL -> {
                api.cancel(orderNo);
                return new Flow(placed, plan, true, deadline, null, 0, null, null, 0, null);
            }
            default -> {
            }
        }
        PaymentAttempts attempts = payment(api, orderNo, deadline, malformed);
        if (attempts.paymentNo() == null) {
            return new Flow(placed, plan, true, deadline, null, attempts.refusals(), attempts.last(), Instant.now(), 0, null);
        }
        Instant paidAt = Instant.now();
        int payAnswer;
        if (plan == Plan.PAY) {
            payAnswer = api.pay(attempts.paymentNo()).status();
        }
        else {
            java.util.concurrent.atomic.AtomicInteger answer = new java.util.concurrent.atomic.AtomicInteger();
            Thread pay = Thread.ofVirtual().start(() -> answer.set(api.pay(attempts.paymentNo()).status()));
            api.cancel(orderNo);
            try {
                pay.join(Duration.ofSeconds(30));
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            payAnswer = answer.get();
        }
        return new Flow(placed, plan, true, deadline, attempts.paymentNo(), attempts.refusals(), attempts.last(), null,
                payAnswer, paidAt);
    }

    record PaymentAttempts(@Nullable String paymentNo, int refusals, PublicApi.@Nullable Answer last) {
    }

    /**
     * Creates the order's payment as a user's app would: retries a refusal or a failure until the shown deadline
     * (the order may not be payable at payment-service yet, or the service may be restarting), then gives up.
     */
    private static PaymentAttempts payment(PublicApi api, String orderNo, Instant deadline, List<String> malformed) {
        int refusals = 0;
        PublicApi.Answer last = null;
        do {
            Duration left = Duration.between(Instant.now(), deadline);
            PublicApi.Answer answer = api.createPayment(orderNo, left.isNegative() ? Duration.ofSeconds(1) : left);
            if (answer.status() == 201 || answer.status() == 200) {
                JsonNode paymentNo = answer.body().get("paymentNo");
                if (paymentNo != null && paymentNo.isString()) {
                    return new PaymentAttempts(paymentNo.asString(), refusals, last);
                }
                // a success without the payment breaks the contract: recorded (verdict 17), and the user tries again
                malformed.add(orderNo + ": " + answer.status() + " "
                        + (answer.text().length() > 300 ? answer.text().substring(0, 300) + "..." : answer.text()));
            }
            last = answer;
            if (answer.status() >= 400 && answer.status() < 500) {
                refusals++;
                if (answer.text().contains("deadline")) {
                    break; // too late: nothing to retry
                }
            }
            PublicApi.pauseFor(300);
        } while (Instant.now().isBefore(deadline));
        return new PaymentAttempts(null, refusals, last);
    }
}
