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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * The three services and the gateway simulator as processes on loopback, against the local RabbitMQ and
 * MySQL/MariaDB: each run with databases and broker names of its own, removed when it stops. A service can be
 * killed with SIGKILL and started again; the broker can be restarted.
 */
public final class Cluster implements AutoCloseable {

    /** The services, in start order. */
    public enum Service {
        GATEWAY("gateway-simulator", 0), INVENTORY("inventory-service", 1), ORDER("order-service", 2),
        PAYMENT("payment-service", 3);

        final String module;

        final int offset;

        Service(String module, int offset) {
            this.module = module;
            this.offset = offset;
        }
    }

    /** What a run is configured with. */
    public record Settings(int basePort, Duration paymentWindow, Duration cancelGrace, String operatorPassword,
            List<String> extraArgs) {

        /** Short windows and fast retries, so that timeouts and recoveries happen within minutes. */
        public static Settings fast(int basePort) {
            return new Settings(basePort, Duration.ofSeconds(10), Duration.ofSeconds(3),
                    "system-" + UUID.randomUUID().toString().substring(0, 8), List.of());
        }
    }

    private final Path home;

    private final Settings settings;

    private final String run = UUID.randomUUID().toString().replace("-", "").substring(0, 10).toLowerCase(Locale.ROOT);

    private final Path logs;

    private final Map<Service, Process> processes = new LinkedHashMap<>();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String dbHost = env("TALLY_DB_HOST", "127.0.0.1");

    private final String dbPort = env("TALLY_DB_PORT", "3306");

    private final String dbUser = env("TALLY_DB_USER", "root");

    private final String dbPassword = env("TALLY_DB_PASSWORD", "");

    private final boolean attached;

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
    }

    /**
     * The services already running on their default ports (8081, 8082, 8083, 8090), as docker compose starts
     * them: nothing is started, killed or stopped, and checks go through the services' APIs only.
     */
    public static Cluster attached(String operatorPassword) {
        return new Cluster(Path.of("."), new Settings(8081, Duration.ofMinutes(10), Duration.ofMinutes(1), operatorPassword,
                List.of()), true);
    }

    /** Whether the services were started by someone else (docker compose). */
    public boolean attached() {
        return this.attached;
    }

    /** Starts every service and waits until each is healthy. */
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
        for (Service service : Service.values()) {
            startProcess(service);
            awaitHealthy(service, Duration.ofMinutes(3));
        }
    }

    /** The base URL of a service. */
    public String url(Service service) {
        return "http://127.0.0.1:" + port(service);
    }

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

    public int brokerRestarts() {
        return this.brokerRestarts;
    }

    /** Kills the service with SIGKILL, starts it again and waits until it is healthy. */
    public void killAndRestart(Service service) {
        Process process = this.processes.get(service);
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
        this.kills++;
        startProcess(service);
        awaitHealthy(service, Duration.ofMinutes(3));
    }

    /** Restarts the RabbitMQ application in place: every connection drops; queues and messages stay. */
    public void restartBroker() {
        rabbitmqctl("stop_app");
        rabbitmqctl("start_app");
        rabbitmqctl("await_startup");
        this.brokerRestarts++;
    }

    private void rabbitmqctl(String command) {
        try {
            Process process = new ProcessBuilder("rabbitmqctl", "-q", command).redirectErrorStream(true)
                .redirectOutput(this.logs.resolve("rabbitmqctl.log").toFile()).start();
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("rabbitmqctl " + command + " failed; see " + this.logs);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("rabbitmqctl is needed to restart the broker", ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private int port(Service service) {
        if (this.attached) {
            return switch (service) {
                case GATEWAY -> 8090;
                case INVENTORY -> 8082;
                case ORDER -> 8081;
                case PAYMENT -> 8083;
            };
        }
        return this.settings.basePort() + service.offset;
    }

    private void startProcess(Service service) {
        Path jar = this.home.resolve(service.module + "/target/" + service.module + "-0.1.0-SNAPSHOT-exec.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("Build the services first (./mvnw -DskipTests package): no " + jar);
        }
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(), "--server.port=" + port(service)));
        String keys = this.home.resolve("config/test-keys").toString();
        switch (service) {
            case GATEWAY -> command.addAll(List.of("--gateway.private-key-location=file:" + keys + "/channel-private.pem",
                    "--gateway.merchants[0].id=M100",
                    "--gateway.merchants[0].public-key-location=file:" + keys + "/merchant-public.pem",
                    "--gateway.callback-retry-delays=1s,2s,4s,8s,15s,30s,60s,60s,60s"));
            case INVENTORY, ORDER, PAYMENT -> {
                String name = service.module.substring(0, service.module.indexOf('-'));
                command.addAll(List.of("--spring.datasource.url=" + jdbcUrl(database(service)),
                        "--spring.datasource.username=" + this.dbUser, "--spring.datasource.password=" + this.dbPassword,
                        "--spring.security.user.password=" + this.settings.operatorPassword(),
                        "--tally.topology.prefix=" + prefix(), "--tally.topology.delete-on-close=true",
                        "--tally.topology.retry-delays=1s,3s", "--tally.dead-letters.redrive-delays=5s,10s,30s",
                        "--tally.outbox.poll-interval=200ms", "--spring.application.name=" + name));
                if (service == Service.ORDER) {
                    command.addAll(List.of("--order.payment-window=" + this.settings.paymentWindow().toMillis() + "ms",
                            "--order.cancel-grace=" + this.settings.cancelGrace().toMillis() + "ms",
                            "--order.timeout-poll=200ms"));
                }
                if (service == Service.PAYMENT) {
                    command.addAll(List.of("--payment.channel.base-url=" + url(Service.GATEWAY),
                            "--payment.channel.merchant-private-key=file:" + keys + "/merchant-private.pem",
                            "--payment.channel.channel-public-key=file:" + keys + "/channel-public.pem",
                            "--payment.channel.notify-url=" + url(Service.PAYMENT) + "/api/payments/callbacks",
                            "--payment.checks.query-delays=4s,2s,4s", "--payment.checks.query-max-attempts=40",
                            "--payment.checks.refund-delays=1s,2s,4s", "--payment.checks.poll=200ms",
                            "--payment.checks.lease=15s", "--payment.reconciliation.enabled=false"));
                }
            }
        }
        command.addAll(this.settings.extraArgs());
        try {
            File log = this.logs.resolve(service.module + ".log").toFile();
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .start();
            this.processes.put(service, process);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot start " + service.module, ex);
        }
    }

    private void awaitHealthy(Service service, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
            if (!this.attached && !this.processes.get(service).isAlive()) {
                throw new IllegalStateException(service.module + " exited; see " + this.logs.resolve(service.module + ".log"));
            }
            HttpResponse<String> health = this.http.send(HttpRequest.newBuilder(URI.create(url(service) + "/actuator/health"))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return health.statusCode() == 200;
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
        return "sys_" + this.run + "_" + service.module.substring(0, service.module.indexOf('-'));
    }

    /** A connection to a service's database (the checks read the outbox and dead letters through it). */
    public Connection connect(Service service) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database(service)), this.dbUser, this.dbPassword);
    }

    /** Stops every service (SIGTERM: the topology of this run is deleted) and drops the run's databases. */
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
        try (Connection connection = DriverManager.getConnection(jdbcUrl(""), this.dbUser, this.dbPassword);
                Statement statement = connection.createStatement()) {
            for (Service service : List.of(Service.INVENTORY, Service.ORDER, Service.PAYMENT)) {
                statement.execute("DROP DATABASE IF EXISTS " + database(service));
            }
        }
        catch (SQLException ex) {
            System.getLogger(Cluster.class.getName())
                .log(System.Logger.Level.WARNING, "Could not drop the run's databases: " + ex.getMessage());
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value != null && !value.isEmpty() ? value : fallback;
    }
}
