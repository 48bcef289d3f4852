package io.tally.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The end-to-end throughput benchmark: the four processes as the system test starts them, driven through the
 * public HTTP API as users would (place an order, wait until it is payable, create the payment, pay at the
 * channel, wait until the order is paid), first at a stepped series of fixed open-loop arrival rates, then
 * closed-loop with many clients at the maximum. For each step it reports orders/s completed, place→payable
 * and pay→paid latencies, the share of payment requests refused, CPU per order per process (from
 * {@code /proc}), commits, statements and fsyncs per order (the database's status counters) and events per
 * order (outbox rows written); and, in the same run, the raw limits they compare with: the database's commit
 * rate and the broker's confirmed publish rate at the same number of threads. It prints a table and writes a
 * CSV and a PNG of latency against rate. A program, not a test: {@code java -jar
 * system-test/target/system-test-0.1.0-SNAPSHOT-exec.jar throughput}.
 */
final class Throughput {

    /** How long a client pauses before it asks again after an answer that was not one. */
    private static final Duration POLL = Duration.ofMillis(100);

    /** How long one long poll for the order's next version may wait. */
    private static final Duration LONG_POLL = Duration.ofSeconds(15);

    /** How long a client waits for one state before it counts the order as not completed. */
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private static final int RAW_THREADS = 8;

    /**
     * The services' own defaults for how often their background tasks look for work when no commit woke them,
     * in place of the system test's faster ones (which it needs to finish in minutes): idle polling is work
     * per second, not per order, and a deployment runs with these.
     */
    private static final List<String> PRODUCTION_POLLS = List.of("--tally.outbox.poll-interval=500ms",
            "--order.timeout-poll=1s", "--payment.checks.poll=1s");

    private Throughput() {
    }

    /**
     * What to run.
     *
     * @param rates the open-loop arrival rates, orders per second, one step each
     * @param stepSeconds how long each open-loop step offers orders
     * @param maxClients the clients of the closed-loop step at the maximum (0: none)
     * @param out where the CSV and the PNG go
     * @param profile where each process writes a Java Flight Recording of the whole run ({@code <service>.jfr}),
     *     if anywhere
     * @param warmUpSeconds how long orders are offered at 10/s before anything is measured: long enough for the
     *     JIT compilers to finish (a profile of a short warm-up showed order-service compiling 16,700 methods for
     *     2 min 47 s of compiler time during the steps, which the figures then counted as work per order)
     */
    record Options(List<Double> rates, int stepSeconds, int maxClients, Path out, Optional<Path> profile,
            int warmUpSeconds) {
    }

    /**
     * The services run as they would in production, with both JIT tiers (the system test stops at the first, to
     * start quickly), and a heap that is not the limit.
     */
    static List<String> jvmOptions(Optional<Path> profile) throws java.io.IOException {
        List<String> options = new ArrayList<>(List.of("-Xmx512m"));
        if (profile.isPresent()) {
            Files.createDirectories(profile.get());
            options.add("-XX:StartFlightRecording=settings=profile,filename="
                    + profile.get().toAbsolutePath().resolve("{service}.jfr"));
        }
        return options;
    }

    /** One step's figures. */
    record Step(String label, double rate, int offered, int completed, double seconds, double ordersPerSecond, Stats awaiting,
            Stats paid, double refusedShare, Map<String, Double> cpuMsPerOrder, double commitsPerOrder,
            double statementsPerOrder, double fsyncsPerOrder, double eventsPerOrder, double publishedPerOrder,
            double deliveredPerOrder) {
    }

    /** Latency percentiles in milliseconds. */
    record Stats(long p50, long p99, long max) {

        static Stats of(List<Long> millis) {
            if (millis.isEmpty()) {
                return new Stats(0, 0, 0);
            }
            List<Long> sorted = new ArrayList<>(millis);
            Collections.sort(sorted);
            return new Stats(at(sorted, 0.50), at(sorted, 0.99), sorted.get(sorted.size() - 1));
        }

        private static long at(List<Long> sorted, double share) {
            return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(share * sorted.size()) - 1));
        }
    }

    static int run(Path home, Options options) throws Exception {
        Cluster.Settings settings = Cluster.Settings.fast().withPaymentWindow(Duration.ofMinutes(5))
                .withJvmOptions(jvmOptions(options.profile()))
                .withExtraArgs(PRODUCTION_POLLS);
        List<Step> steps = new ArrayList<>();
        String raw;
        try (Cluster cluster = new Cluster(home, settings); Progress progress = progress(cluster)) {
            cluster.start();
            progress.phase("running");
            PublicApi api = new PublicApi(cluster);
            List<String> skus = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String sku = cluster.runName() + "-T-" + i;
                PublicApi.Answer put = api.putStock(sku, 100L * (i + 1), 1_000_000);
                if (!put.ok()) {
                    throw new IllegalStateException("Stock not put in: " + put);
                }
                skus.add(sku);
            }
            // warm up the JITs and pools before anything is measured
            Step warmUp = openLoop(cluster, api, skus, "warm-up", 10, options.warmUpSeconds());
            System.out.println(row(warmUp) + "   (not reported)");
            for (double rate : options.rates()) {
                Step step = openLoop(cluster, api, skus, String.format(Locale.ROOT, "%.0f/s", rate), rate,
                        options.stepSeconds());
                steps.add(step);
                System.out.println(row(step));
            }
            if (options.maxClients() > 0) {
                Step step = closedLoop(cluster, api, skus, options.maxClients(), options.stepSeconds());
                steps.add(step);
                System.out.println(row(step));
            }
            raw = rawLimits(cluster);
        }
        String table = table(steps) + raw;
        System.out.println();
        System.out.println(table);
        Files.createDirectories(options.out());
        Files.writeString(options.out().resolve("throughput.txt"), machine() + table, StandardCharsets.UTF_8);
        Files.writeString(options.out().resolve("throughput.csv"), csv(steps), StandardCharsets.UTF_8);
        plot(steps, options.out().resolve("throughput.png"));
        System.out.println("Written: " + options.out().resolve("throughput.txt") + ", throughput.csv, throughput.png");
        return 0;
    }

    /** Offers orders at a fixed rate for the step's length, each on its own virtual thread, then waits for them. */
    private static Step openLoop(Cluster cluster, PublicApi api, List<String> skus, String label, double rate, int seconds)
            throws Exception {
        Counters before = Counters.read(cluster);
        Results results = new Results();
        CURRENT.set(Map.entry(label, results));
        int offered = (int) Math.round(rate * seconds);
        long intervalNanos = (long) (1_000_000_000L / rate);
        long start = System.nanoTime();
        CountDownLatch done = new CountDownLatch(offered);
        try (ExecutorService users = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < offered; i++) {
                long due = start + i * intervalNanos;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait); // the arrival schedule itself, not a synchronisation
                }
                String sku = skus.get(i % skus.size());
                users.submit(() -> {
                    try {
                        order(api, sku, results);
                    }
                    finally {
                        done.countDown();
                    }
                });
            }
            done.await(seconds + PATIENCE.toSeconds() * 3, TimeUnit.SECONDS);
        }
        double elapsed = (results.lastCompletion.get() - start) / 1e9;
        return step(label, rate, offered, results, elapsed > 0 ? elapsed : seconds, before, Counters.read(cluster));
    }

    /** Many clients, each ordering again as soon as its last order is paid: the maximum the system completes. */
    private static Step closedLoop(Cluster cluster, PublicApi api, List<String> skus, int clients, int seconds)
            throws Exception {
        Counters before = Counters.read(cluster);
        Results results = new Results();
        CURRENT.set(Map.entry("max, " + clients + " clients", results));
        AtomicBoolean open = new AtomicBoolean(true);
        AtomicInteger offered = new AtomicInteger();
        long start = System.nanoTime();
        try (ExecutorService users = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                int client = c;
                users.submit(() -> {
                    int n = 0;
                    while (open.get()) {
                        offered.incrementAndGet();
                        order(api, skus.get((client + n++) % skus.size()), results);
                    }
                });
            }
            TimeUnit.SECONDS.sleep(seconds); // the length of the step, not a synchronisation
            open.set(false);
        }
        double elapsed = (results.lastCompletion.get() - start) / 1e9;
        return step("max, " + clients + " clients", 0, offered.get(), results, elapsed > 0 ? elapsed : seconds, before,
                Counters.read(cluster));
    }

    /** One user's order, timed. */
    private static void order(PublicApi api, String sku, Results results) {
        try {
            long placed = System.nanoTime();
            PublicApi.Answer order = api.placed("bench-" + Thread.currentThread().threadId(), Map.of(sku, 1));
            String orderNo = order.body().get("orderNo").asString();
            PublicApi.Answer payable = await(api, orderNo, "AWAITING_PAYMENT", order);
            if (payable == null) {
                return;
            }
            results.awaiting.add((System.nanoTime() - placed) / 1_000_000);
            String paymentNo = null;
            for (int attempt = 0; attempt < 20 && paymentNo == null; attempt++) {
                results.paymentRequests.incrementAndGet();
                PublicApi.Answer created = api.createPayment(orderNo, Duration.ofSeconds(30));
                if (created.status() == 201 || created.status() == 200) {
                    paymentNo = created.body().get("paymentNo").asString();
                }
                else {
                    results.refused.incrementAndGet();
                    PublicApi.pauseFor(POLL.toMillis());
                }
            }
            if (paymentNo == null) {
                return;
            }
            long pay = System.nanoTime();
            if (api.pay(paymentNo).status() != 200 || await(api, orderNo, "PAID", payable) == null) {
                return;
            }
            long paid = System.nanoTime();
            results.paid.add((paid - pay) / 1_000_000);
            results.completed.incrementAndGet();
            results.lastCompletion.accumulateAndGet(paid, Math::max);
        }
        catch (RuntimeException ex) {
            results.failures.incrementAndGet();
        }
    }

    /**
     * Waits for the order to reach the status as a real client would: from the version it holds (the answer that
     * placed the order, or the last one it read), it long-polls for each next version ({@code If-None-Match}
     * with {@code Prefer: wait}) instead of polling.
     * @return the answer that showed the status, or {@code null} when the order ended elsewhere or took too long
     */
    private static PublicApi.@Nullable Answer await(PublicApi api, String orderNo, String status, PublicApi.Answer from) {
        Instant until = Instant.now().plus(PATIENCE);
        PublicApi.Answer answer = from;
        while (Instant.now().isBefore(until)) {
            String now = answer.body().path("status").asString();
            if (status.equals(now)) {
                return answer;
            }
            if ("CANCELLED".equals(now) || "PAID".equals(now)) {
                return null;
            }
            String tag = answer.header("ETag");
            Duration left = Duration.between(Instant.now(), until);
            PublicApi.Answer next = tag.isEmpty() ? api.call("GET", Service.ORDER, "/api/orders/" + orderNo, null, Map.of())
                    : api.orderChangedFrom(orderNo, tag, left.compareTo(LONG_POLL) < 0 ? left : LONG_POLL);
            boolean waited = next.status() == 200 || (next.status() == 304 && !next.header("Preference-Applied").isEmpty());
            if (!waited) {
                PublicApi.pauseFor(POLL.toMillis()); // not answered, or answered without waiting: ask again shortly
            }
            if (next.status() == 200) {
                answer = next;
            }
        }
        return null;
    }

    private static Step step(String label, double rate, int offered, Results results, double seconds, Counters before, Counters after) {
        int completed = results.completed.get();
        double per = Math.max(1, completed);
        Map<String, Double> cpu = new LinkedHashMap<>();
        after.cpuTicks.forEach((process, ticks) -> cpu.put(process,
                (ticks - before.cpuTicks.getOrDefault(process, 0L)) * 1000.0 / CLOCK_TICKS / per));
        int requests = results.paymentRequests.get();
        return new Step(label, rate, offered, completed, seconds, completed / seconds, Stats.of(List.copyOf(results.awaiting)),
                Stats.of(List.copyOf(results.paid)), requests == 0 ? 0 : results.refused.get() / (double) requests, cpu,
                (after.commits - before.commits) / per, (after.statements - before.statements) / per,
                (after.fsyncs - before.fsyncs) / per, (after.events - before.events) / per,
                (after.published - before.published) / per, (after.delivered - before.delivered) / per);
    }

    /** What one step's users found. */
    /** The step under way and its results, for the progress lines. */
    private static final java.util.concurrent.atomic.AtomicReference<Map.Entry<String, Results>> CURRENT =
            new java.util.concurrent.atomic.AtomicReference<>();

    /**
     * Every {@code tally.system.progress} (10 s by default; 0 for none): the step under way, its orders completed and
     * failed, the completion rate since the last line, and the outbox backlog of each service.
     */
    private static Progress progress(Cluster cluster) {
        Duration every = Progress.every(System.getProperty("tally.system.progress", "10s"));
        long[] last = { 0, System.nanoTime(), 0 };
        return new Progress("throughput", every, System.out, () -> {
            Map.Entry<String, Results> current = CURRENT.get();
            if (current == null) {
                return "starting the services";
            }
            Results results = current.getValue();
            long now = System.nanoTime();
            int completed = results.completed.get();
            boolean sameStep = last[2] == System.identityHashCode(results);
            double rate = Progress.rate(sameStep ? last[0] : 0, completed, Duration.ofNanos(now - last[1]));
            last[0] = completed;
            last[1] = now;
            last[2] = System.identityHashCode(results);
            Map<Service, Long> backlog = cluster.outboxBacklog();
            return String.format(Locale.ROOT, "step %s: %d completed (%.1f/s), %d failed, outbox backlog %d %s",
                    current.getKey(), completed, rate, results.failures.get(),
                    backlog.values().stream().mapToLong(Long::longValue).sum(), backlog);
        });
    }

    private static final class Results {

        final ConcurrentLinkedQueue<Long> awaiting = new ConcurrentLinkedQueue<>();

        final ConcurrentLinkedQueue<Long> paid = new ConcurrentLinkedQueue<>();

        final AtomicInteger completed = new AtomicInteger();

        final AtomicInteger paymentRequests = new AtomicInteger();

        final AtomicInteger refused = new AtomicInteger();

        final AtomicInteger failures = new AtomicInteger();

        final AtomicLong lastCompletion = new AtomicLong();
    }

    /** Clock ticks per second of {@code /proc/<pid>/stat} (USER_HZ, 100 on Linux). */
    private static final long CLOCK_TICKS = 100;

    /** The machine-wide counters a step's work is measured by. */
    private record Counters(Map<String, Long> cpuTicks, long commits, long statements, long fsyncs, long events,
            long published, long delivered) {

        static Counters read(Cluster cluster) throws SQLException {
            Map<String, Long> cpu = new LinkedHashMap<>();
            for (Service service : Service.values()) {
                cpu.put(service.module, ticks(List.of(cluster.pid(service))));
            }
            cpu.put("mariadbd", ticks(pids("mariadbd")));
            cpu.put("rabbitmq", ticks(pids("beam.smp")));
            long commits;
            long statements;
            long fsyncs;
            long events = 0;
            try (Connection connection = cluster.connect(Service.ORDER); Statement statement = connection.createStatement()) {
                Map<String, Long> status = new LinkedHashMap<>();
                try (ResultSet rows = statement.executeQuery(
                        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_commit', 'Questions', 'Innodb_data_fsyncs')")) {
                    while (rows.next()) {
                        status.put(rows.getString(1), rows.getLong(2));
                    }
                }
                commits = status.getOrDefault("Com_commit", 0L);
                statements = status.getOrDefault("Questions", 0L);
                fsyncs = status.getOrDefault("Innodb_data_fsyncs", 0L);
                for (Service service : List.of(Service.ORDER, Service.INVENTORY, Service.PAYMENT)) {
                    try (ResultSet rows = statement.executeQuery(
                            "SELECT COALESCE(MAX(id), 0) FROM " + cluster.database(service) + ".tally_outbox")) {
                        rows.next();
                        events += rows.getLong(1);
                    }
                }
            }
            Map<String, Long> messages = cluster.brokerMessageCounters();
            return new Counters(cpu, commits, statements, fsyncs, events, messages.getOrDefault("received", 0L),
                    messages.getOrDefault("delivered", 0L));
        }

        private static long ticks(List<Long> pids) {
            long sum = 0;
            for (long pid : pids) {
                try {
                    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    sum += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                }
                catch (IOException | RuntimeException ex) {
                    // the process is gone: it adds nothing
                }
            }
            return sum;
        }

        private static List<Long> pids(String name) {
            return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.endsWith("/" + name) || c.equals(name)).orElse(false))
                .map(ProcessHandle::pid)
                .toList();
        }
    }

    /**
     * The raw limits of this machine, measured now with {@value #RAW_THREADS} threads each: single-row commits of
     * the database (a table of its own, autocommit) and confirmed publishes of the broker (the run's own node).
     */
    private static String rawLimits(Cluster cluster) throws Exception {
        String database = "tally_raw_" + cluster.runName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        double commits;
        try (Connection admin = cluster.connect(Service.ORDER); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + database);
            statement.execute("CREATE TABLE " + database + ".t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64))");
            try {
                List<Connection> opened = Collections.synchronizedList(new ArrayList<>());
                try {
                    commits = rate(Duration.ofSeconds(10), () -> {
                        Connection connection = cluster.connectTo(database);
                        opened.add(connection);
                        connection.setAutoCommit(true);
                        return () -> {
                            try (Statement insert = connection.createStatement()) {
                                insert.executeUpdate("INSERT INTO t (v) VALUES ('raw')");
                            }
                        };
                    });
                }
                finally {
                    for (Connection connection : opened) {
                        connection.close();
                    }
                }
            }
            finally {
                statement.execute("DROP DATABASE " + database);
            }
        }
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(cluster.brokerPort());
        String queue = "tally-raw-" + cluster.runName();
        double publishes;
        try (com.rabbitmq.client.Connection connection = factory.newConnection()) {
            try (Channel declare = connection.createChannel()) {
                declare.queueDeclare(queue, false, false, false, Map.<String, Object>of("x-max-length", 100_000));
            }
            publishes = rate(Duration.ofSeconds(10), () -> {
                Channel channel = connection.createChannel();
                channel.confirmSelect();
                byte[] body = new byte[512];
                return () -> {
                    for (int i = 0; i < 50; i++) {
                        channel.basicPublish("", queue, null, body);
                    }
                    channel.waitForConfirmsOrDie(10_000);
                };
            }) * 50;
            try (Channel delete = connection.createChannel()) {
                delete.queueDelete(queue);
            }
        }
        return String.format(Locale.ROOT, "Raw limits, %d threads: database %.0f commits/s (one-row autocommit inserts); "
                + "broker %.0f confirmed publishes/s (512 B, confirmed every 50)%n", RAW_THREADS, commits, publishes);
    }

    /** A unit of work that may throw. */
    private interface Work {

        void run() throws Exception;
    }

    /** What makes each thread's work (opening what the thread holds). */
    private interface WorkFactory {

        Work open() throws Exception;
    }

    /** Units of work per second over {@value #RAW_THREADS} threads for the given time. */
    private static double rate(Duration length, WorkFactory factory) throws Exception {
        AtomicLong units = new AtomicLong();
        AtomicBoolean open = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch ready = new CountDownLatch(RAW_THREADS);
        for (int t = 0; t < RAW_THREADS; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    Work work = factory.open();
                    ready.countDown();
                    while (open.get()) {
                        work.run();
                        units.incrementAndGet();
                    }
                }
                catch (Exception ex) {
                    errors.add(ex);
                    ready.countDown();
                }
            }));
        }
        ready.await(30, TimeUnit.SECONDS);
        long start = System.nanoTime();
        long before = units.get();
        TimeUnit.NANOSECONDS.sleep(length.toNanos()); // the measured interval itself, not a synchronisation
        long counted = units.get() - before;
        double seconds = (System.nanoTime() - start) / 1e9;
        open.set(false);
        for (Thread thread : threads) {
            thread.join(30_000);
        }
        if (!errors.isEmpty()) {
            throw errors.peek();
        }
        return counted / seconds;
    }

    private static String machine() {
        return String.format(Locale.ROOT, "Machine: %d cores, %s; %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.arch"), Instant.now());
    }

    private static final String HEADER = String.format(Locale.ROOT,
            "%-18s %8s %9s %8s %22s %22s %8s %9s %8s %8s %8s %9s %s", "step", "offered", "completed", "orders/s",
            "place->payable ms", "pay->paid ms", "refused", "commits", "stmts", "fsyncs", "events", "msgs p/d",
            "CPU ms/order");

    private static String row(Step step) {
        StringBuilder cpu = new StringBuilder();
        double total = 0;
        for (Map.Entry<String, Double> entry : step.cpuMsPerOrder().entrySet()) {
            cpu.append(entry.getKey().replace("-service", "").replace("gateway-simulator", "gateway")).append(' ')
                .append(Math.round(entry.getValue())).append(", ");
            total += entry.getValue();
        }
        cpu.append("total ").append(Math.round(total));
        return String.format(Locale.ROOT, "%-18s %8d %9d %8.1f %22s %22s %7.1f%% %9.1f %8.1f %8.1f %8.1f %9s %s",
                step.label(), step.offered(), step.completed(), step.ordersPerSecond(), stats(step.awaiting()),
                stats(step.paid()), step.refusedShare() * 100, step.commitsPerOrder(), step.statementsPerOrder(),
                step.fsyncsPerOrder(), step.eventsPerOrder(), String.format(Locale.ROOT, "%.1f/%.1f",
                        step.publishedPerOrder(), step.deliveredPerOrder()), cpu);
    }

    private static String stats(Stats stats) {
        return stats.p50() + "/" + stats.p99() + "/" + stats.max();
    }

    private static String table(List<Step> steps) {
        StringBuilder table = new StringBuilder(HEADER).append('\n');
        steps.forEach(step -> table.append(row(step)).append('\n'));
        table.append("(latencies p50/p99/max; commits, statements and fsyncs are the database's, per completed order; "
                + "events: outbox rows written per completed order; msgs p/d: messages published to the broker and "
                + "delivered by it per completed order, from its global counters)\n");
        return table.toString();
    }

    private static String csv(List<Step> steps) {
        StringBuilder csv = new StringBuilder("step,rate,offered,completed,seconds,orders_per_s,payable_p50_ms,payable_p99_ms,"
                + "payable_max_ms,paid_p50_ms,paid_p99_ms,paid_max_ms,refused_share,commits_per_order,"
                + "statements_per_order,fsyncs_per_order,events_per_order,published_per_order,delivered_per_order");
        List<String> processes = steps.isEmpty() ? List.of() : List.copyOf(steps.get(0).cpuMsPerOrder().keySet());
        processes.forEach(p -> csv.append(",cpu_ms_per_order_").append(p.replace('-', '_')));
        csv.append('\n');
        for (Step s : steps) {
            csv.append(String.format(Locale.ROOT, "%s,%.1f,%d,%d,%.1f,%.2f,%d,%d,%d,%d,%d,%d,%.4f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f",
                    s.label().replace(',', ';'), s.rate(), s.offered(), s.completed(), s.seconds(), s.ordersPerSecond(),
                    s.awaiting().p50(), s.awaiting().p99(), s.awaiting().max(), s.paid().p50(), s.paid().p99(),
                    s.paid().max(), s.refusedShare(), s.commitsPerOrder(), s.statementsPerOrder(), s.fsyncsPerOrder(),
                    s.eventsPerOrder(), s.publishedPerOrder(), s.deliveredPerOrder()));
            for (String p : processes) {
                csv.append(String.format(Locale.ROOT, ",%.1f", s.cpuMsPerOrder().getOrDefault(p, 0.0)));
            }
            csv.append('\n');
        }
        return csv.toString();
    }

    /**
     * Latency against the offered open-loop rate, p50 and p99 of both waits, on a logarithmic axis, as a PNG
     * (JFreeChart); the closed-loop step is in the table.
     */
    private static void plot(List<Step> steps, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeries payableP50 = new XYSeries("place -> payable p50");
        XYSeries payableP99 = new XYSeries("place -> payable p99");
        XYSeries paidP50 = new XYSeries("pay -> paid p50");
        XYSeries paidP99 = new XYSeries("pay -> paid p99");
        for (Step step : steps) {
            if (step.rate() <= 0) {
                continue;
            }
            payableP50.add(step.rate(), Math.max(1, step.awaiting().p50()));
            payableP99.add(step.rate(), Math.max(1, step.awaiting().p99()));
            paidP50.add(step.rate(), Math.max(1, step.paid().p50()));
            paidP99.add(step.rate(), Math.max(1, step.paid().p99()));
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(payableP50);
        data.addSeries(payableP99);
        data.addSeries(paidP50);
        data.addSeries(paidP99);
        JFreeChart chart = ChartFactory.createXYLineChart("End to end: latency against the offered rate",
                "orders/s offered (open loop)", "latency (ms, log scale)", data, PlotOrientation.VERTICAL, true, false,
                false);
        chart.getXYPlot().setRangeAxis(new org.jfree.chart.axis.LogarithmicAxis("latency (ms, log scale)"));
        ((org.jfree.chart.renderer.xy.XYLineAndShapeRenderer) chart.getXYPlot().getRenderer()).setDefaultShapesVisible(true);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 560);
    }

    /** Parses {@code --rates=5,10,20}. */
    static List<Double> rates(@Nullable String text) {
        List<Double> rates = new ArrayList<>();
        for (String part : (text == null ? "5,10,15,20,25,30" : text).split(",")) {
            rates.add(Double.parseDouble(part.trim()));
        }
        return rates;
    }
}
