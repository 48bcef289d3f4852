package io.tally.system;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

import static org.awaitility.Awaitility.await;

/**
 * The three services and the gateway simulator as processes on loopback, against the local MySQL/MariaDB and
 * either a RabbitMQ node of the run's own ({@link BrokerNode}, which the run may restart) or the machine's
 * broker (never restarted): each run with databases, broker names and ports of its own, removed when it stops.
 * A service can be killed with SIGKILL and started again.
 */
public final class Cluster implements Endpoints, AutoCloseable {

    /**
     * What a run is configured with.
     *
     * @param basePort the port of the simulator, the services on the next three; 0 for free ports
     * @param paymentWindow the payment deadline shown to users
     * @param cancelGrace the grace after it before an unpaid order is cancelled
     * @param operatorPassword the operator account's password
     * @param extraArgs further arguments for every service
     * @param privateBroker whether the run starts a RabbitMQ node of its own (which it may restart); otherwise it
     * uses the machine's broker at {@code RABBITMQ_HOST}/{@code RABBITMQ_PORT} and never restarts it
     */
    public record Settings(int basePort, Duration paymentWindow, Duration cancelGrace, String operatorPassword,
            List<String> extraArgs, boolean privateBroker, List<String> jvmOptions) {

        /** A small heap and the first JIT tier only: quick to start, which is what tests want. */
        public static final List<String> QUICK_START = List.of("-Xmx384m", "-XX:TieredStopAtLevel=1");

        public Settings(int basePort, Duration paymentWindow, Duration cancelGrace, String operatorPassword,
                List<String> extraArgs, boolean privateBroker) {
            this(basePort, paymentWindow, cancelGrace, operatorPassword, extraArgs, privateBroker, QUICK_START);
        }

        /** The longest wait of any schedule the services and the simulator are started with (see {@link #schedules}). */
        public Duration longestScheduledDelay() {
            return SCHEDULES.values().stream().flatMap(List::stream).max(Duration::compareTo).orElseThrow();
        }

        /** Short windows and fast retries on free ports with a broker of its own, so that a run takes minutes. */
        public static Settings fast() {
            return new Settings(0, Duration.ofSeconds(10), Duration.ofSeconds(3),
                    "system-" + UUID.randomUUID().toString().substring(0, 8), List.of(), true);
        }

        public Settings withPaymentWindow(Duration window) {
            return new Settings(this.basePort, window, this.cancelGrace, this.operatorPassword, this.extraArgs,
                    this.privateBroker, this.jvmOptions);
        }

        public Settings withBasePort(int port) {
            return new Settings(port, this.paymentWindow, this.cancelGrace, this.operatorPassword, this.extraArgs,
                    this.privateBroker, this.jvmOptions);
        }

        /** These arguments for every service, after (and replacing) the run's own of the same name. */
        public Settings withExtraArgs(List<String> args) {
            return new Settings(this.basePort, this.paymentWindow, this.cancelGrace, this.operatorPassword, args,
                    this.privateBroker, this.jvmOptions);
        }

        /**
         * The JVM options of every process, in place of {@link #QUICK_START}; {@code {service}} in an option is
         * replaced by the service's short name (for one flight recording per process, say).
         */
        public Settings withJvmOptions(List<String> options) {
            return new Settings(this.basePort, this.paymentWindow, this.cancelGrace, this.operatorPassword,
                    this.extraArgs, this.privateBroker, List.copyOf(options));
        }
    }

    /**
     * Every retry and re-drive schedule the processes run with: after the faults stop, nothing scheduled can fire
     * later than the longest of these, which bounds how long the invariants must keep holding.
     */
    static final Map<String, List<Duration>> SCHEDULES = Map.of(
            "gateway.callback-retry-delays", seconds(1, 2, 4, 8, 15, 30),
            "tally.topology.retry-delays", seconds(1, 3),
            "tally.dead-letters.redrive-delays", seconds(5, 10, 30),
            "payment.checks.query-delays", seconds(4, 2, 4),
            "payment.checks.refund-delays", seconds(1, 2, 4));

    private final Path home;

    private final Settings settings;

    private final String run = UUID.randomUUID().toString().replace("-", "").substring(0, 10).toLowerCase(Locale.ROOT);

    private final Path logs;

    private final Map<Service, Process> processes = new LinkedHashMap<>();

    private final Map<Service, Integer> ports = new EnumMap<>(Service.class);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String dbHost = env("TALLY_DB_HOST", "127.0.0.1");

    private final String dbPort = env("TALLY_DB_PORT", "3306");

    private final String dbUser = env("TALLY_DB_USER", "root");

    private final String dbPassword = env("TALLY_DB_PASSWORD", "");

    private final boolean attached;

    private @Nullable BrokerNode broker;

    private int kills;

    private int brokerRestarts;

    public Cluster(Path home, Settings settings) {
        this(home, settings, false);
    }

    private Cluster(Path home, Settings settings, boolean attached) {
        this.home = home.toAbsolutePath().normalize();
        this.settings = settings;
        this.logs = this.home.resolve("system-test/target/logs/" + this.run);
        this.attached = attached;
        for (Service service : Service.values()) {
            this.ports.put(service, attached ? defaultPort(service)
                    : settings.basePort() > 0 ? settings.basePort() + service.offset : BrokerNode.freePort());
        }
    }

    /**
     * The services already running on their default ports (8081, 8082, 8083, 8090), as docker compose starts
     * them: nothing is started, killed or stopped, and checks go through the services' APIs only.
     */
    public static Cluster attached(String operatorPassword) {
        return new Cluster(Path.of("."), new Settings(8081, Duration.ofMinutes(10), Duration.ofMinutes(1), operatorPassword,
                List.of(), false), true);
    }

    /** Whether the services were started by someone else (docker compose). */
    public boolean attached() {
        return this.attached;
    }

    public Settings settings() {
        return this.settings;
    }

    /** Starts the broker node (if the run has one) and every service, and waits until each is healthy. */
    public void start() {
        if (this.attached) {
            for (Service service : Service.values()) {
                awaitHealthy(service, Duration.ofMinutes(5));
            }
            return;
        }
        try {
            Files.createDirectories(this.logs);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        if (this.settings.privateBroker()) {
            this.broker = BrokerNode.start(this.home.resolve("system-test/target/rabbit-" + this.run), "tally" + this.run);
        }
        for (Service service : Service.values()) {
            startProcess(service);
            awaitHealthy(service, Duration.ofMinutes(3));
        }
    }

    @Override
    public String url(Service service) {
        return "http://127.0.0.1:" + this.ports.get(service);
    }

    @Override
    public String operatorPassword() {
        return this.settings.operatorPassword();
    }

    /** The broker-name prefix of this run. */
    public String prefix() {
        return this.attached ? "" : "sys" + this.run + ".";
    }

    /** A short name of this run, for SKUs and users. */
    public String runName() {
        return this.run.substring(0, 6);
    }

    public Path logs() {
        return this.logs;
    }

    public int kills() {
        return this.kills;
    }

    /** The global message counters of the run's own broker node; empty when the run uses the machine's broker. */
    public Map<String, Long> brokerMessageCounters() {
        return this.broker != null ? this.broker.messageCounters() : Map.of();
    }

    public int brokerRestarts() {
        return this.brokerRestarts;
    }

    /** The AMQP port of the run's broker. */
    public int brokerPort() {
        return this.broker != null ? this.broker.amqpPort() : Integer.parseInt(env("RABBITMQ_PORT", "5672"));
    }

    /** Kills the service with SIGKILL and leaves it down. */
    public void kill(Service service) {
        Process process = this.processes.get(service);
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(service.module() + " did not die within 30 s of SIGKILL");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
        this.kills++;
    }

    /** Kills the service with SIGKILL, starts it again and waits until it is healthy; answers how long it took. */
    public Duration killAndRestart(Service service) {
        long started = System.nanoTime();
        kill(service);
        startProcess(service);
        awaitHealthy(service, Duration.ofMinutes(3));
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /** Restarts the run's RabbitMQ node in place: every connection drops; queues and messages stay. */
    public void restartBroker() {
        if (this.broker == null) {
            throw new IllegalStateException("This run uses the machine's broker, which it never restarts");
        }
        this.broker.restart();
        this.brokerRestarts++;
    }

    /** Stops the run's broker (an outage) until {@link #startBroker()}. */
    public void stopBroker() {
        if (this.broker == null) {
            throw new IllegalStateException("This run uses the machine's broker, which it never stops");
        }
        this.broker.stopApp();
    }

    /** Ends an outage begun by {@link #stopBroker()}. */
    public void startBroker() {
        this.broker.startApp();
        this.brokerRestarts++;
    }

    /** Whether the service answers its health check now (within a few seconds). */
    public boolean healthy(Service service) {
        try {
            HttpResponse<String> health = this.http.send(HttpRequest.newBuilder(URI.create(url(service) + "/actuator/health"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return health.statusCode() == 200;
        }
        catch (IOException ex) {
            return false;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int defaultPort(Service service) {
        return switch (service) {
            case GATEWAY -> 8090;
            case INVENTORY -> 8082;
            case ORDER -> 8081;
            case PAYMENT -> 8083;
        };
    }

    private void startProcess(Service service) {
        Path jar = this.home.resolve(service.module() + "/target/" + service.module() + "-0.1.0-SNAPSHOT-exec.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("Build the services first (./mvnw -DskipTests package): no " + jar);
        }
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        this.settings.jvmOptions().forEach(option -> command.add(option.replace("{service}", service.shortName())));
        command.addAll(List.of("-jar", jar.toString()));
        List<String> args = new ArrayList<>(List.of("--server.port=" + this.ports.get(service)));
        String keys = this.home.resolve("config/test-keys").toString();
        switch (service) {
            case GATEWAY -> args.addAll(List.of("--gateway.private-key-location=file:" + keys + "/channel-private.pem",
                    "--gateway.merchants[0].id=M100",
                    "--gateway.merchants[0].public-key-location=file:" + keys + "/merchant-public.pem",
                    schedule("gateway.callback-retry-delays")));
            case INVENTORY, ORDER, PAYMENT -> {
                args.addAll(List.of("--spring.datasource.url=" + jdbcUrl(database(service)),
                        "--spring.datasource.username=" + this.dbUser, "--spring.datasource.password=" + this.dbPassword,
                        "--spring.rabbitmq.port=" + brokerPort(),
                        "--spring.security.user.password=" + this.settings.operatorPassword(),
                        "--tally.topology.prefix=" + prefix(), "--tally.topology.delete-on-close=true",
                        schedule("tally.topology.retry-delays"), schedule("tally.dead-letters.redrive-delays"),
                        "--tally.outbox.poll-interval=200ms", "--spring.application.name=" + service.shortName()));
                if (service == Service.ORDER) {
                    args.addAll(List.of("--order.payment-window=" + this.settings.paymentWindow().toMillis() + "ms",
                            "--order.cancel-grace=" + this.settings.cancelGrace().toMillis() + "ms",
                            "--order.timeout-poll=200ms"));
                }
                if (service == Service.PAYMENT) {
                    args.addAll(List.of("--payment.channel.base-url=" + url(Service.GATEWAY),
                            "--payment.channel.merchant-private-key=file:" + keys + "/merchant-private.pem",
                            "--payment.channel.channel-public-key=file:" + keys + "/channel-public.pem",
                            "--payment.channel.notify-url=" + url(Service.PAYMENT) + "/api/payments/callbacks",
                            schedule("payment.checks.query-delays"), "--payment.checks.query-max-attempts=40",
                            schedule("payment.checks.refund-delays"), "--payment.checks.poll=200ms",
                            "--payment.checks.lease=15s", "--payment.reconciliation.enabled=false"));
                }
            }
        }
        // the settings' extra arguments come last and replace a default of the same name (a repeated argument
        // would be joined with a comma by Spring)
        Map<String, String> byName = new LinkedHashMap<>();
        for (String arg : args) {
            byName.put(arg.substring(0, arg.indexOf('=')), arg);
        }
        for (String arg : this.settings.extraArgs()) {
            byName.put(arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg, arg);
        }
        command.addAll(byName.values());
        try {
            File log = this.logs.resolve(service.module() + ".log").toFile();
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .start();
            this.processes.put(service, process);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot start " + service.module(), ex);
        }
    }

    private static String schedule(String property) {
        return "--" + property + "=" + String.join(",", SCHEDULES.get(property).stream().map(d -> d.toMillis() + "ms").toList());
    }

    private void awaitHealthy(Service service, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
            if (!this.attached && !this.processes.get(service).isAlive()) {
                throw new IllegalStateException(service.module() + " exited; see " + this.logs.resolve(service.module() + ".log"));
            }
            return healthy(service);
        });
    }

    /** The JDBC URL of a service's database, for checks. */
    public String jdbcUrl(String database) {
        return "jdbc:mysql://" + this.dbHost + ":" + this.dbPort + "/" + database
                + "?createDatabaseIfNotExist=true&connectionTimeZone=UTC&forceConnectionTimeZoneToSession=true"
                + "&allowPublicKeyRetrieval=true&useSSL=false";
    }

    /** A service's database name in this run. */
    public String database(Service service) {
        return "sys_" + this.run + "_" + service.shortName();
    }

    /** A connection to any database of the run's server (the throughput benchmark's scratch one). */
    public Connection connectTo(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), this.dbUser, this.dbPassword);
    }

    /** The process id of a service started by this run. */
    public long pid(Service service) {
        Process process = this.processes.get(service);
        if (process == null) {
            throw new IllegalStateException(service + " was not started by this run");
        }
        return process.pid();
    }

    /** A connection to a service's database; {@code null} under docker compose, where checks use the APIs. */
    @Override
    public @Nullable Connection connect(Service service) throws SQLException {
        if (this.attached) {
            return null;
        }
        return connectTo(database(service));
    }

    /**
     * The outbox rows not yet published (PENDING) of each service, each counted up to 100,000; a service whose
     * database cannot be read now (restarting) is left out. Empty under docker compose.
     */
    public Map<Service, Long> outboxBacklog() {
        Map<Service, Long> backlog = new java.util.EnumMap<>(Service.class);
        if (this.attached) {
            return backlog;
        }
        for (Service service : Service.withState()) {
            try (Connection connection = connect(service);
                    java.sql.Statement statement = connection.createStatement();
                    java.sql.ResultSet rows = statement.executeQuery(
                            "SELECT COUNT(*) FROM (SELECT 1 FROM tally_outbox WHERE status = 'PENDING' LIMIT 100000) c")) {
                rows.next();
                backlog.put(service, rows.getLong(1));
            }
            catch (SQLException | RuntimeException unreadable) {
                // restarting, or not created yet: the next reading tells
            }
        }
        return backlog;
    }

    /** The messages waiting in this run's queues; {@code null} under docker compose. */
    @Override
    public @Nullable Map<String, Long> queueDepths() {
        if (this.attached) {
            return null;
        }
        Map<String, Long> depths = new LinkedHashMap<>();
        Map<String, Long> all = this.broker != null ? this.broker.queueDepths() : machineBrokerQueueDepths();
        all.forEach((queue, messages) -> {
            if (queue.startsWith(prefix())) {
                depths.put(queue, messages);
            }
        });
        return depths;
    }

    /** The machine's broker, asked with its own rabbitmqctl (the demo's local runs). */
    private static Map<String, Long> machineBrokerQueueDepths() {
        try {
            Process list = new ProcessBuilder("rabbitmqctl", "-q", "list_queues", "name", "messages").redirectErrorStream(true)
                .start();
            String output = new String(list.getInputStream().readAllBytes());
            if (!list.waitFor(120, TimeUnit.SECONDS) || list.exitValue() != 0) {
                throw new IllegalStateException("rabbitmqctl list_queues failed: " + output.trim());
            }
            Map<String, Long> depths = new LinkedHashMap<>();
            for (String line : output.split("\\R")) {
                String[] cells = line.trim().split("\\s+");
                if (cells.length == 2 && cells[1].matches("\\d+")) {
                    depths.put(cells[0], Long.parseLong(cells[1]));
                }
            }
            return depths;
        }
        catch (IOException ex) {
            throw new IllegalStateException("rabbitmqctl is needed to list the broker's queues", ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** Stops every service (SIGTERM: the topology of this run is deleted), the broker node, and drops the databases. */
    @Override
    public void close() {
        if (this.attached) {
            return;
        }
        List<Service> reverse = new ArrayList<>(this.processes.keySet());
        java.util.Collections.reverse(reverse);
        for (Service service : reverse) {
            Process process = this.processes.get(service);
            process.destroy();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        if (this.broker != null) {
            this.broker.close();
        }
        try (Connection connection = DriverManager.getConnection(jdbcUrl(""), this.dbUser, this.dbPassword);
                Statement statement = connection.createStatement()) {
            for (Service service : Service.withState()) {
                statement.execute("DROP DATABASE IF EXISTS " + database(service));
            }
        }
        catch (SQLException ex) {
            System.getLogger(Cluster.class.getName())
                .log(System.Logger.Level.WARNING, "Could not drop the run's databases: " + ex.getMessage());
        }
    }

    private static List<Duration> seconds(long... values) {
        return java.util.Arrays.stream(values).mapToObj(Duration::ofSeconds).toList();
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value != null && !value.isEmpty() ? value : fallback;
    }
}
