package io.tally.system;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import tools.jackson.databind.JsonNode;

import io.tally.system.Cluster.Service;

/**
 * The system test: a load of orders through the public HTTP contract, with payments, user cancels, timeouts
 * and channel faults, while each service is killed with SIGKILL and restarted and the broker is restarted;
 * then, once faults stop and the system converges, every invariant of DESIGN section 8, with a report.
 */
public final class SystemRun {

    /** How big and how rough. */
    public record Config(int orders, int concurrency, int basePort, boolean chaos, Duration paymentWindow) {

        public Config(int orders, int concurrency, int basePort, boolean chaos) {
            this(orders, concurrency, basePort, chaos, Duration.ofSeconds(10));
        }
    }

    /** What a run did and found. */
    public record Report(Config config, Map<String, Integer> plans, List<String> chaos, List<String> faults,
            Duration load, Duration convergence, List<Invariants.Verdict> verdicts) {

        public boolean holds() {
            return this.verdicts.stream().allMatch(Invariants.Verdict::holds);
        }

        public String text() {
            StringBuilder text = new StringBuilder();
            text.append("System test: ").append(this.config.orders()).append(" orders, ").append(this.config.concurrency())
                .append(" clients, payment window ").append(this.config.paymentWindow().toSeconds()).append(" s, ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores\n");
            text.append("  plans:       ").append(this.plans).append('\n');
            text.append("  kills and restarts: ").append(this.chaos).append('\n');
            text.append("  faults:      ").append(this.faults).append('\n');
            text.append("  load ").append(this.load.toSeconds()).append(" s, convergence ")
                .append(this.convergence.toSeconds()).append(" s\n");
            for (Invariants.Verdict verdict : this.verdicts) {
                text.append(verdict.holds() ? "  HOLDS  " : "  BROKEN ").append(verdict.invariant()).append(": ")
                    .append(verdict.figure()).append('\n');
            }
            return text.toString();
        }
    }

    private enum Plan {
        PAY, CANCEL, TIMEOUT, PAY_AND_CANCEL
    }

    private SystemRun() {
    }

    public static Report run(Path home, Config config) throws Exception {
        Cluster.Settings fast = Cluster.Settings.fast(config.basePort());
        Cluster.Settings settings = new Cluster.Settings(fast.basePort(), config.paymentWindow(), fast.cancelGrace(),
                fast.operatorPassword(), fast.extraArgs());
        try (Cluster cluster = new Cluster(home, settings)) {
            cluster.start();
            PublicApi api = new PublicApi(cluster);
            Invariants invariants = new Invariants(cluster, api);
            String run = cluster.prefix().replace(".", "");
            Map<String, Integer> stock = new LinkedHashMap<>();
            int skus = 10;
            for (int i = 0; i < skus; i++) {
                String sku = run + "-SKU-" + i;
                int putIn = Math.max(5, config.orders() * 13 / 10 / skus);
                api.putStock(sku, 100L * (i + 1), putIn);
                stock.put(sku, putIn);
            }
            List<Invariants.Placed> placed = Collections.synchronizedList(new ArrayList<>());
            Map<String, Integer> plans = new ConcurrentHashMap<>();
            List<String> chaos = Collections.synchronizedList(new ArrayList<>());
            List<String> faults = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger done = new AtomicInteger();
            Instant started = Instant.now();
            ExecutorService clients = Executors.newFixedThreadPool(config.concurrency());
            ExecutorService chaosThread = Executors.newSingleThreadExecutor();
            Future<?> chaosDone = chaosThread.submit(() -> chaos(cluster, api, config, done, chaos, faults));
            List<Future<?>> flows = new ArrayList<>();
            for (int i = 0; i < config.orders(); i++) {
                int n = i;
                flows.add(clients.submit(() -> {
                    Plan plan = plan(n);
                    plans.merge(plan.name(), 1, Integer::sum);
                    String sku = run + "-SKU-" + ThreadLocalRandom.current().nextInt(skus);
                    int quantity = 1 + ThreadLocalRandom.current().nextInt(2);
                    String user = run + "-user-" + (n % 50);
                    String orderNo = api.placeOrder(user, sku, quantity);
                    placed.add(new Invariants.Placed(orderNo, user, sku, quantity));
                    flow(api, orderNo, plan);
                    done.incrementAndGet();
                    return null;
                }));
            }
            for (Future<?> flow : flows) {
                flow.get();
            }
            chaosDone.get();
            clients.shutdown();
            chaosThread.shutdown();
            Duration load = Duration.between(started, Instant.now());
            api.faults(Map.of());
            Instant converging = Instant.now();
            List<Invariants.Verdict> verdicts;
            Instant deadline = converging.plus(Duration.ofMinutes(6));
            do {
                verdicts = invariants.check(placed, stock, false);
                if (verdicts.stream().allMatch(Invariants.Verdict::holds)) {
                    break;
                }
                PublicApi.pauseFor(2000);
            } while (Instant.now().isBefore(deadline));
            Duration convergence = Duration.between(converging, Instant.now());
            verdicts = invariants.check(placed, stock, true);
            return new Report(config, new java.util.TreeMap<>(plans), chaos, faults, load, convergence, verdicts);
        }
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

    private static void flow(PublicApi api, String orderNo, Plan plan) throws Exception {
        JsonNode order = api.order(orderNo);
        Instant until = Instant.now().plus(Duration.ofMinutes(2));
        while ("PENDING_STOCK".equals(order.path("status").asString()) && Instant.now().isBefore(until)) {
            PublicApi.pauseFor(200);
            order = api.order(orderNo);
        }
        if (!"AWAITING_PAYMENT".equals(order.path("status").asString())) {
            return; // out of stock, or cancelled
        }
        switch (plan) {
            case TIMEOUT -> {
            }
            case CANCEL -> api.cancel(orderNo);
            case PAY -> {
                String paymentNo = payment(api, orderNo);
                if (paymentNo != null) {
                    api.pay(paymentNo);
                }
            }
            case PAY_AND_CANCEL -> {
                String paymentNo = payment(api, orderNo);
                if (paymentNo != null) {
                    Thread pay = Thread.ofVirtual().start(() -> api.pay(paymentNo));
                    api.cancel(orderNo);
                    pay.join();
                }
            }
        }
    }

    private static String payment(PublicApi api, String orderNo) {
        Instant until = Instant.now().plus(Duration.ofSeconds(30));
        do {
            PublicApi.Answer answer = api.createPayment(orderNo);
            if (answer.status() == 201 || answer.status() == 200) {
                return answer.body().get("paymentNo").asString();
            }
            if (answer.status() == 409 && answer.text().contains("deadline")) {
                return null;
            }
            // not yet payable here (order.awaiting-payment on its way), or the service is restarting
            PublicApi.pauseFor(300);
        } while (Instant.now().isBefore(until));
        return null;
    }

    private static void chaos(Cluster cluster, PublicApi api, Config config, AtomicInteger done, List<String> chaos,
            List<String> faults) {
        record Step(double at, String what, Runnable action) {
        }
        List<Step> steps = new ArrayList<>();
        steps.add(new Step(0.05, "duplicateCallbacks 20 x3", () -> api.addFaults(Map.of("duplicateCallbacks", 20, "duplicateCopies", 3))));
        steps.add(new Step(0.15, "dropCallbacks 15", () -> api.addFaults(Map.of("dropCallbacks", 15))));
        steps.add(new Step(0.25, "tamperCallbacks 4", () -> api.addFaults(Map.of("tamperCallbacks", 4))));
        steps.add(new Step(0.35, "callbackDelayMs 3000", () -> api.addFaults(Map.of("callbackDelayMs", 3000))));
        steps.add(new Step(0.45, "callbackDelayMs 0; failQueries 5, failRefunds 3",
                () -> api.addFaults(Map.of("callbackDelayMs", 0, "failQueries", 5, "failRefunds", 3))));
        if (config.chaos()) {
            steps.add(new Step(0.20, "SIGKILL order-service", () -> cluster.killAndRestart(Service.ORDER)));
            steps.add(new Step(0.40, "SIGKILL inventory-service", () -> cluster.killAndRestart(Service.INVENTORY)));
            steps.add(new Step(0.60, "SIGKILL payment-service", () -> cluster.killAndRestart(Service.PAYMENT)));
            steps.add(new Step(0.75, "restart RabbitMQ", cluster::restartBroker));
        }
        steps.sort((a, b) -> Double.compare(a.at(), b.at()));
        for (Step step : steps) {
            while (done.get() < step.at() * config.orders()) {
                PublicApi.pauseFor(100);
            }
            Instant begun = Instant.now();
            step.action().run();
            String line = step.what() + " at " + done.get() + " orders ("
                    + Duration.between(begun, Instant.now()).toMillis() + " ms)";
            (step.what().startsWith("SIGKILL") || step.what().startsWith("restart") ? chaos : faults).add(line);
        }
    }
}
