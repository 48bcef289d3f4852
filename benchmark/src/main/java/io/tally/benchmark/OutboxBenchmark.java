package io.tally.benchmark;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import io.tally.confirm.PublisherConfirms;
import io.tally.inbox.ConsumerContainers;
import io.tally.jdbc.SqlTime;
import io.tally.outbox.Outbox;
import io.tally.outbox.OutboxRelay;
import io.tally.outbox.OutboxStatus;
import io.tally.system.Progress;
import io.tally.topology.Topology;
import io.tally.topology.TopologyDeclarer;

/**
 * Measures, in one run on quorum queues with publisher confirms:
 * <ul>
 * <li><b>drain</b>: the relay emptying a pre-filled outbox, events/s;</li>
 * <li><b>baseline</b>: the same number of messages published straight with {@code RabbitTemplate} and
 * correlated confirms in batches, by as many threads as the relay has workers: the broker's ceiling;</li>
 * <li><b>sustained</b>: producer threads committing a business row plus an outbox row as fast as they can
 * while the relay runs: commits/s, the backlog, commit-to-confirm latency; then the same at half that rate;</li>
 * <li><b>consume</b>: the consumer chain (dedup row plus a one-row effect per message) emptying the queue the
 * drain filled, events/s.</li>
 * </ul>
 * It creates a database and broker names of its own and removes them at the end. Options (all
 * {@code --name=value}): {@code rows} (200000), {@code seconds} per sustained phase (20), {@code producers} (8),
 * {@code workers} relay threads (3), {@code batch} relay batch size (1000), {@code consumers} (4),
 * {@code prefetch} (100), {@code db-url} (jdbc:mysql://127.0.0.1:3306/), {@code db-user} (root),
 * {@code db-password} (empty), {@code auto-commit} of pooled connections (false), {@code rabbit-host} (127.0.0.1),
 * {@code rabbit-port} (5672), {@code rabbit-user} and {@code rabbit-password} (guest), {@code keep} (false).
 * <p>
 * With {@code --scale=true} it measures instead whether the outbox stays flat as its table grows
 * ({@link ScaleBenchmark}), at 0 rows and at each of {@code scale-sizes} (1000000,10000000), each purge measured
 * over {@code scale-purge-rows} (50000) rows past their retention.
 */
public final class OutboxBenchmark {

    /** A due outbox row of the benchmark's event, as the outbox writes it, into the table named. */
    private static final String OUTBOX_ROW = "INSERT INTO %s (message_id, aggregate_id, exchange_name, routing_key, "
            + "event_type, schema_version, correlation_id, status, payload, attempts, next_attempt_at, created_at) "
            + "VALUES (?, ?, ?, 'bench.happened', 'bench.happened', 1, ?, ?, ?, 0, ?, ?)";

    private final Map<String, String> options;

    private final List<String> report = new ArrayList<>();

    OutboxBenchmark(Map<String, String> options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (String arg : args) {
            if (arg.startsWith("--") && arg.contains("=")) {
                options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            }
        }
        new OutboxBenchmark(options).run();
        System.exit(0);
    }

    private String option(String name, String fallback) {
        return this.options.getOrDefault(name, fallback);
    }

    private int intOption(String name, int fallback) {
        return Integer.parseInt(option(name, Integer.toString(fallback)));
    }

    /** Runs every phase; answers the summary, one figure a line. */
    List<String> run() throws Exception {
        int rows = intOption("rows", 200_000);
        int seconds = intOption("seconds", 20);
        int producers = intOption("producers", 8);
        int workers = intOption("workers", 3);
        int batch = intOption("batch", 1000);
        String dbUrl = option("db-url", "jdbc:mysql://127.0.0.1:3306/");
        String dbUser = option("db-user", "root");
        String dbPassword = option("db-password", "");
        String database = "tally_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String prefix = "bench" + UUID.randomUUID().toString().substring(0, 6) + ".";
        String params = "useSSL=false&allowPublicKeyRetrieval=true&rewriteBatchedStatements=true"
                + "&connectionTimeZone=UTC&forceConnectionTimeZoneToSession=true"
                + "&cachePrepStmts=true&prepStmtCacheSize=500&prepStmtCacheSqlLimit=8192";
        try (Connection c = DriverManager.getConnection(dbUrl + "?" + params, dbUser, dbPassword)) {
            c.createStatement().execute("CREATE DATABASE " + database);
        }
        this.database = database;
        ConfigurableApplicationContext context = new SpringApplicationBuilder(BenchApplication.class).run(
                "--spring.datasource.url=" + dbUrl + database + "?" + params, "--spring.datasource.username=" + dbUser,
                "--spring.datasource.password=" + dbPassword,
                "--spring.datasource.hikari.maximum-pool-size=" + (producers + workers + 8),
                "--spring.datasource.hikari.auto-commit=" + option("auto-commit", "false"),
                "--spring.rabbitmq.host=" + option("rabbit-host", "127.0.0.1"),
                "--spring.rabbitmq.port=" + option("rabbit-port", "5672"),
                "--spring.rabbitmq.username=" + option("rabbit-user", "guest"),
                "--spring.rabbitmq.password=" + option("rabbit-password", "guest"), "--tally.topology.prefix=" + prefix,
                "--tally.outbox.workers=" + workers, "--tally.outbox.batch-size=" + batch,
                // the benchmark purges and reads the gauges itself, when it measures them
                "--tally.outbox.purge-interval=365d", "--tally.outbox.metrics-interval=365d",
                // a retention of a week, as a service that keeps its SENT rows for audits would have (the scale mode
                // fills rows sent within the last three days, and purgeable ones sent eight days ago)
                "--tally.outbox.purge-retention=7d",
                "--tally.consumer.concurrency=" + intOption("consumers", 4),
                "--tally.consumer.prefetch=" + intOption("prefetch", 100));
        LatencyRecorder recorder = context.getBean(LatencyRecorder.class);
        BenchApplication.EffectHandler handler = context.getBean(BenchApplication.EffectHandler.class);
        JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
        Duration every = Progress.every(option("progress", "10s"));
        // a line at a steady pace: what the relay published, what the consumers handled, what the outbox holds
        long[] last = { 0, System.nanoTime() };
        try (Progress progress = new Progress("outbox-benchmark", every, System.err, () -> {
            long now = System.nanoTime();
            long sent = recorder.sent.get();
            double rate = Progress.rate(last[0], sent, Duration.ofNanos(now - last[1]));
            last[0] = sent;
            last[1] = now;
            long pending = jdbc.queryForObject(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM tally_outbox WHERE status = ? LIMIT 100000) c", Long.class,
                    OutboxStatus.PENDING.name());
            return String.format(Locale.ROOT, "published %,d (%,.0f/s), consumed %,d, outbox rows PENDING %s", sent, rate,
                    handler.handled.get(), pending < 100_000 ? String.format(Locale.ROOT, "%,d", pending) : "100,000 or more");
        })) {
            this.progress = progress;
            header(context, rows, seconds, producers, workers, batch);
            if (Boolean.parseBoolean(option("scale", "false"))) {
                List<Long> sizes = java.util.Arrays.stream(option("scale-sizes", "1000000,10000000").split(","))
                    .map(String::trim).map(Long::parseLong).toList();
                phase("scale");
                new ScaleBenchmark(context, this::print, intOption("scale-purge-rows", 50_000)).run(sizes);
                return List.copyOf(this.report);
            }
            phase("drain");
            drain(context, rows);
            phase("consume");
            consume(context, rows);
            phase("baseline");
            baseline(context, rows, workers, batch);
            phase("sustained");
            if (Boolean.parseBoolean(option("producers-only", "false"))) {
                sustained(context, seconds, producers, 0, false);
                return List.copyOf(this.report);
            }
            double rate = sustained(context, seconds, producers, 0);
            Histogram fullLatency = this.lastLatency;
            sustained(context, seconds, producers, rate / 2);
            Histogram halfLatency = this.lastLatency;
            phase("raw-jdbc");
            double raw = rawJdbc(context, seconds, producers);
            print(String.format(Locale.ROOT, "           sustained / raw JDBC = %.2f", rate / raw));
            if (Boolean.parseBoolean(option("peer", "true"))) {
                // the sustained phases' messages wait in our queue (no consumer runs then): not beside the peers'
                new RabbitAdmin(context.getBean(CachingConnectionFactory.class)).purgeQueue(
                        context.getBean(Topology.class).workQueue(io.tally.contract.EventDescriptor.of(BenchEvent.class)));
                phase("modulith-peer");
                peer(dbUrl, params, dbUser, dbPassword, prefix, producers, seconds, rate, fullLatency, halfLatency, raw);
            }
            return List.copyOf(this.report);
        }
        finally {
            this.progress = null;
            System.out.println();
            System.out.println("summary");
            this.report.forEach(System.out::println);
            context.getBean(OutboxRelay.class).stop();
            context.getBean(ConsumerContainers.class).stop();
            if (!Boolean.parseBoolean(option("keep", "false"))) {
                context.getBean(TopologyDeclarer.class).deleteAll();
                new RabbitAdmin(context.getBean(CachingConnectionFactory.class)).deleteQueue(prefix + "baseline");
                new RabbitAdmin(context.getBean(CachingConnectionFactory.class)).deleteExchange(prefix + "bench.events");
            }
            context.close();
            if (!Boolean.parseBoolean(option("keep", "false"))) {
                try (Connection c = DriverManager.getConnection(dbUrl + "?" + params, dbUser, dbPassword)) {
                    c.createStatement().execute("DROP DATABASE " + database);
                }
            }
        }
    }

    private void header(ConfigurableApplicationContext context, int rows, int seconds, int producers, int workers,
            int batch) {
        JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
        String rabbitVersion;
        try (org.springframework.amqp.rabbit.connection.Connection c = context.getBean(CachingConnectionFactory.class)
            .createConnection()) {
            rabbitVersion = String.valueOf(((com.rabbitmq.client.Connection) c.getDelegate()).getServerProperties().get("version"));
        }
        long memory = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getTotalMemorySize();
        print("tally outbox benchmark, " + Instant.now());
        print(String.format(Locale.ROOT, "machine: %d cores, %.1f GiB, %s; Java %s; RabbitMQ %s; database %s",
                Runtime.getRuntime().availableProcessors(), memory / 1073741824.0, System.getProperty("os.name"),
                System.getProperty("java.version"), rabbitVersion, jdbc.queryForObject("SELECT VERSION()", String.class)));
        print(String.format(Locale.ROOT,
                "settings: rows=%d, sustained %d s per phase, %d producer threads, relay %d workers x batch %d, "
                        + "consumers %s x prefetch %s, quorum queues, correlated confirms, mandatory",
                rows, seconds, producers, workers, batch, option("consumers", "4"), option("prefetch", "100")));
    }

    private void drain(ConfigurableApplicationContext context, int rows) {
        JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
        JsonMapper json = context.getBean(JsonMapper.class);
        Topology topology = context.getBean(Topology.class);
        LatencyRecorder recorder = context.getBean(LatencyRecorder.class);
        int aggregates = Math.max(1, rows / 4);
        String sql = OUTBOX_ROW.formatted("tally_outbox");
        long fillStart = System.nanoTime();
        String now = SqlTime.of(Instant.now());
        for (int from = 0; from < rows; from += 5000) {
            int to = Math.min(rows, from + 5000);
            List<Object[]> args = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                String order = "o-" + (i % aggregates);
                args.add(new Object[] { UUID.randomUUID().toString(), order, topology.exchange("bench.events"),
                        UUID.randomUUID().toString(), OutboxStatus.PENDING.name(),
                        json.writeValueAsBytes(new BenchEvent(order, "u-" + (i % 997), 12_345, "CNY", "seq " + i / aggregates)),
                        now, now });
            }
            context.getBean(TransactionTemplate.class).executeWithoutResult(status -> jdbc.batchUpdate(sql, args));
        }
        print(String.format(Locale.ROOT, "fill: %d outbox rows over %d aggregates in %.1f s", rows, aggregates,
                LatencyRecorder.since(fillStart).toMillis() / 1000.0));
        recorder.interval();
        long sentBefore = recorder.sent.get();
        OutboxRelay relay = context.getBean(OutboxRelay.class);
        long start = System.nanoTime();
        relay.start();
        Producers.awaitAtLeast(() -> recorder.sent.get() - sentBefore, rows, "rows drained");
        double secondsTaken = LatencyRecorder.since(start).toNanos() / 1e9;
        relay.stop();
        this.drainRate = rows / secondsTaken;
        print(String.format(Locale.ROOT, "drain:     %,10.0f events/s  (%d rows in %.2f s)", this.drainRate, rows, secondsTaken));
    }

    private double drainRate;

    private String database;

    /** The database of the last run (dropped at its end unless {@code keep}). */
    String database() {
        return this.database;
    }

    private void consume(ConfigurableApplicationContext context, int rows) {
        BenchApplication.EffectHandler handler = context.getBean(BenchApplication.EffectHandler.class);
        long before = handler.handled.get();
        long start = System.nanoTime();
        ConsumerContainers consumers = context.getBean(ConsumerContainers.class);
        consumers.start();
        Producers.awaitAtLeast(() -> handler.handled.get() - before, rows, "messages consumed");
        double secondsTaken = LatencyRecorder.since(start).toNanos() / 1e9;
        consumers.stop();
        long effects = context.getBean(JdbcTemplate.class).queryForObject("SELECT COUNT(*) FROM bench_effect", Long.class);
        print(String.format(Locale.ROOT, "consume:   %,10.0f events/s  (%d messages, dedup row + effect row each, "
                + "%d effects in the table)", rows / secondsTaken, rows, effects));
    }

    private void baseline(ConfigurableApplicationContext context, int rows, int threads, int batch) throws Exception {
        CachingConnectionFactory connectionFactory = context.getBean(CachingConnectionFactory.class);
        Topology topology = context.getBean(Topology.class);
        RabbitAdmin admin = new RabbitAdmin(connectionFactory);
        String queueName = topology.exchange("baseline");
        Queue queue = QueueBuilder.durable(queueName).quorum().deliveryLimit(5).build();
        admin.declareQueue(queue);
        admin.declareBinding(BindingBuilder.bind(queue).to(new TopicExchange(topology.exchange("bench.events")))
            .with("bench.baseline"));
        byte[] body = context.getBean(JsonMapper.class)
            .writeValueAsBytes(new BenchEvent("o-1", "u-1", 12_345, "CNY", "baseline"));
        RabbitTemplate template = PublisherConfirms.template(connectionFactory);
        AtomicLong failed = new AtomicLong();
        CountDownLatch done = new CountDownLatch(threads);
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int share = rows / threads + (t < rows % threads ? 1 : 0);
            Thread.ofPlatform().start(() -> {
                try {
                    for (int sent = 0; sent < share; sent += batch) {
                        int size = Math.min(batch, share - sent);
                        List<CorrelationData> confirms = new ArrayList<>(size);
                        template.invoke(ops -> {
                            for (int i = 0; i < size; i++) {
                                MessageProperties p = new MessageProperties();
                                p.setMessageId(UUID.randomUUID().toString());
                                p.setContentType(MessageProperties.CONTENT_TYPE_JSON);
                                p.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
                                CorrelationData cd = new CorrelationData();
                                ops.send(topology.exchange("bench.events"), "bench.baseline", new Message(body, p), cd);
                                confirms.add(cd);
                            }
                            return null;
                        });
                        for (CorrelationData cd : confirms) {
                            if (!cd.getFuture().get(10, TimeUnit.SECONDS).ack() || cd.getReturned() != null) {
                                failed.incrementAndGet();
                            }
                        }
                    }
                }
                catch (Exception ex) {
                    failed.incrementAndGet();
                }
                finally {
                    done.countDown();
                }
            });
        }
        done.await();
        double secondsTaken = LatencyRecorder.since(start).toNanos() / 1e9;
        double rate = rows / secondsTaken;
        print(String.format(Locale.ROOT, "baseline:  %,10.0f msg/s     (%d messages, %d threads x batches of %d, %d failed)"
                + "  drain/baseline = %.2f", rate, rows, threads, batch, failed.get(), this.drainRate / rate));
        admin.deleteQueue(queueName);
    }

    /** Runs producers for {@code seconds}; with {@code targetRate} 0 as fast as they can. Returns commits/s. */
    private double sustained(ConfigurableApplicationContext context, int seconds, int producers, double targetRate)
            throws InterruptedException {
        return sustained(context, seconds, producers, targetRate, true);
    }

    private double sustained(ConfigurableApplicationContext context, int seconds, int producers, double targetRate,
            boolean withRelay) throws InterruptedException {
        JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
        TransactionTemplate transaction = context.getBean(TransactionTemplate.class);
        Outbox outbox = context.getBean(Outbox.class);
        LatencyRecorder recorder = context.getBean(LatencyRecorder.class);
        OutboxRelay relay = context.getBean(OutboxRelay.class);
        if (withRelay) {
            relay.start();
        }
        recorder.interval();
        long sentBefore = recorder.sent.get();
        Producers.Run run = Producers.run(producers, seconds, targetRate, "s", (producer, order) ->
                transaction.executeWithoutResult(status -> {
                    jdbc.update("INSERT INTO bench_business (aggregate_id, amount) VALUES (?, ?)", order, 12_345);
                    outbox.publish(order, new BenchEvent(order, "u-" + producer, 12_345, "CNY", "sustained"));
                }), () -> jdbc.queryForObject("SELECT COUNT(*) FROM tally_outbox WHERE status = ?", Long.class,
                        OutboxStatus.PENDING.name()));
        long committed = run.commits();
        double rate = run.rate();
        List<Long> backlog = run.backlog();
        if (!withRelay) {
            print(String.format(Locale.ROOT, "producers only (relay stopped): %,10.0f commits/s", rate));
            return rate;
        }
        long tailStart = System.nanoTime();
        Producers.awaitAtLeast(() -> recorder.sent.get() - sentBefore, committed, "rows confirmed");
        double tail = LatencyRecorder.since(tailStart).toMillis() / 1000.0;
        relay.stop();
        Histogram latency = recorder.interval();
        long maxBacklog = backlog.stream().mapToLong(Long::longValue).max().orElse(0);
        long lastBacklog = backlog.isEmpty() ? 0 : backlog.get(backlog.size() - 1);
        boolean bounded = lastBacklog <= Math.max(rate, 1000);
        String label = targetRate > 0 ? String.format(Locale.ROOT, "half rate (target %,.0f/s)", targetRate) : "sustained";
        print(String.format(Locale.ROOT, "%-10s %,10.0f commits/s (business row + outbox row, %d producers, %d s); "
                + "backlog max %,d, last %,d -> %s; drained %.2f s after producers stopped", label + ":", rate,
                producers, seconds, maxBacklog, lastBacklog, bounded ? "bounded" : "GROWING", tail));
        print("           commit-to-confirm " + LatencyRecorder.describe(latency));
        print("           backlog per second: " + backlog);
        this.lastLatency = latency;
        return rate;
    }

    private Histogram lastLatency = new Histogram(3);

    /**
     * The sustained phase's transaction written by plain JDBC, as fast as the producers can: the business row and
     * the same outbox row (the same columns, the same JSON, into a table with the outbox's own definition and
     * indexes), each pair committed, no relay. What the outbox's write path is compared with.
     */
    private double rawJdbc(ConfigurableApplicationContext context, int seconds, int producers) throws Exception {
        JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
        javax.sql.DataSource dataSource = context.getBean(javax.sql.DataSource.class);
        JsonMapper json = context.getBean(JsonMapper.class);
        String exchange = context.getBean(Topology.class).exchange("bench.events");
        jdbc.execute("CREATE TABLE bench_raw_outbox LIKE tally_outbox");
        String outboxRow = OUTBOX_ROW.formatted("bench_raw_outbox");
        AtomicLong commits = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch done = new CountDownLatch(producers);
        AtomicLong failures = new AtomicLong();
        long start = System.nanoTime();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            Thread.ofPlatform().start(() -> {
                try (Connection connection = dataSource.getConnection();
                        java.sql.PreparedStatement business = connection.prepareStatement(
                                "INSERT INTO bench_business (aggregate_id, amount) VALUES (?, ?)");
                        java.sql.PreparedStatement outbox = connection.prepareStatement(outboxRow)) {
                    connection.setAutoCommit(false);
                    int n = 0;
                    while (running.get()) {
                        String order = "r-" + producer + "-" + (n++);
                        String now = SqlTime.of(Instant.now());
                        business.setString(1, order);
                        business.setLong(2, 12_345);
                        business.executeUpdate();
                        outbox.setString(1, UUID.randomUUID().toString());
                        outbox.setString(2, order);
                        outbox.setString(3, exchange);
                        outbox.setString(4, UUID.randomUUID().toString());
                        outbox.setString(5, OutboxStatus.PENDING.name());
                        outbox.setBytes(6, json.writeValueAsBytes(
                                new BenchEvent(order, "u-" + producer, 12_345, "CNY", "raw")));
                        outbox.setString(7, now);
                        outbox.setString(8, now);
                        outbox.executeUpdate();
                        connection.commit();
                        commits.incrementAndGet();
                    }
                }
                catch (SQLException ex) {
                    failures.incrementAndGet();
                }
                finally {
                    done.countDown();
                }
            });
        }
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(seconds)); // the phase's length, not a synchronisation
        running.set(false);
        done.await();
        double rate = commits.get() / (LatencyRecorder.since(start).toNanos() / 1e9);
        jdbc.execute("DROP TABLE bench_raw_outbox");
        print(String.format(Locale.ROOT, "raw JDBC:  %,10.0f commits/s (the same business row + outbox row by plain JDBC, "
                + "%d producers, %d s, no relay, %d failed)", rate, producers, seconds, failures.get()));
        return rate;
    }

    /** One system's figures, for the side-by-side table. */
    record Figures(double drain, int drained, double sustained, Histogram full, Histogram half) {
    }

    /**
     * The same drain and sustained phases for Spring Modulith's event publication registry ({@link ModulithPeer}),
     * in a database of its own on the same server, with publisher confirms and then as its default mode ships
     * (without), then the three side by side. Each peer's second sustained phase runs at our half rate, so that
     * the latencies compare at the same load.
     */
    private void peer(String dbUrl, String params, String dbUser, String dbPassword, String prefix, int producers,
            int seconds, double ourRate, Histogram ourFull, Histogram ourHalf, double raw) throws Exception {
        int rows = intOption("peer-rows", Math.min(intOption("rows", 200_000), 20_000));
        Figures ours = new Figures(this.drainRate, intOption("rows", 200_000), ourRate, ourFull, ourHalf);
        Figures confirmed = peer(dbUrl, params, dbUser, dbPassword, prefix, producers, seconds, rows, true, ourRate / 2);
        Figures unconfirmed = peer(dbUrl, params, dbUser, dbPassword, prefix, producers, seconds, rows, false,
                ourRate / 2);
        print("side by side                tally outbox   Modulith, confirmed   Modulith, unconfirmed");
        print(String.format(Locale.ROOT, "drain events/s            %,12.0f       %,12.0f          %,12.0f", ours.drain(),
                confirmed.drain(), unconfirmed.drain()));
        print(String.format(Locale.ROOT, "  (backlog drained)       %,12d       %,12d          %,12d", ours.drained(),
                confirmed.drained(), unconfirmed.drained()));
        print(String.format(Locale.ROOT, "sustained commits/s       %,12.0f       %,12.0f          %,12.0f", ours.sustained(),
                confirmed.sustained(), unconfirmed.sustained()));
        print(String.format(Locale.ROOT, "  / raw JDBC (%,.0f/s)  %12.2f       %12.2f          %12.2f", raw,
                ours.sustained() / raw, confirmed.sustained() / raw, unconfirmed.sustained() / raw));
        print(String.format(Locale.ROOT, "  commit-to-confirm p99   %9.1f ms       %9.1f ms          %9.1f ms",
                p99(ours.full()), p99(confirmed.full()), p99(unconfirmed.full())));
        print(String.format(Locale.ROOT, "at %,5.0f/s (our half) p99 %8.1f ms       %9.1f ms          %9.1f ms", ourRate / 2,
                p99(ours.half()), p99(confirmed.half()), p99(unconfirmed.half())));
        print("(the unconfirmed peer completes a publication when the client library took the message: its latency is "
                + "to that point, and a broker failure can lose what it counted as sent)");
    }

    private static double p99(Histogram latency) {
        return latency.getValueAtPercentile(99) / 1000.0;
    }

    private Figures peer(String dbUrl, String params, String dbUser, String dbPassword, String prefix, int producers,
            int seconds, int rows, boolean confirmed, double halfRate) throws Exception {
        String database = this.database + (confirmed ? "_peer_c" : "_peer_u");
        try (Connection c = DriverManager.getConnection(dbUrl + "?" + params, dbUser, dbPassword)) {
            c.createStatement().execute("CREATE DATABASE " + database);
        }
        try (ModulithPeer peer = new ModulithPeer(dbUrl + database + "?" + params, dbUser, dbPassword,
                option("auto-commit", "false"), option("rabbit-host", "127.0.0.1"), option("rabbit-port", "5672"), option("rabbit-user", "guest"),
                option("rabbit-password", "guest"), prefix + (confirmed ? "c." : "u."), producers, confirmed,
                this::print)) {
            print("peer: Spring Modulith 2.1 event publication registry (JDBC), externalized to RabbitMQ "
                    + (confirmed ? "with publisher confirms" : "without confirms (its default mode)")
                    + ", completion mode DELETE");
            double drain = peer.drain(rows);
            print(String.format(Locale.ROOT, "peer drain: %,10.0f events/s  (%d publications resubmitted)", drain, rows));
            double rate = peer.sustained(seconds, producers, 0);
            Histogram full = peer.lastLatency();
            peer.sustained(seconds, producers, halfRate);
            return new Figures(drain, rows, rate, full, peer.lastLatency());
        }
        finally {
            if (!Boolean.parseBoolean(option("keep", "false"))) {
                try (Connection c = DriverManager.getConnection(dbUrl + "?" + params, dbUser, dbPassword)) {
                    c.createStatement().execute("DROP DATABASE IF EXISTS " + database);
                }
                catch (SQLException ex) {
                    System.err.println("Could not drop " + database + ": " + ex.getMessage());
                }
            }
        }
    }


    /**
     * The figures are this program's output, not log lines: each goes to standard error as it is measured
     * (beside Spring's log), and all of them again to standard output as the summary at the end.
     */
    private void print(String line) {
        System.err.println(line);
        this.report.add(line);
    }

    /** The progress lines of the run under way, named after the phase that last printed its figure. */
    private volatile @org.jspecify.annotations.Nullable Progress progress;

    /** Names the phase that starts now in the progress lines. */
    private void phase(String name) {
        Progress current = this.progress;
        if (current != null) {
            current.phase(name);
        }
    }
}
