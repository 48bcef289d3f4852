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
     * @param jvmOptions the JVM options of every process
     * @param instances how many instances of each of the three services run (same database, same broker, ports of
     * their own); the simulator runs once
     * @param brokerNodes how many RabbitMQ nodes the run's own broker has: 1, or 3 for a cluster (with a private
     * broker only)
     * @param privateDatabase whether the run starts a MariaDB server of its own (which it may restart); otherwise it
     * uses the machine's at {@code TALLY_DB_HOST}/{@code TALLY_DB_PORT} and never restarts it
     */
    public record Settings(int basePort, Duration paymentWindow, Duration cancelGrace, String operatorPassword,
            List<String> extraArgs, boolean privateBroker, List<String> jvmOptions, int instances, int brokerNodes,
            boolean privateDatabase) {

        public Settings(int basePort, Duration paymentWindow, Duration cancelGrace, String operatorPassword,
                List<String> extraArgs, boolean privateBroker, List<String> jvmOptions) {
            this(basePort, paymentWindow, cancelGrace, operatorPassword, extraArgs, privateBroker, jvmOptions, 1, 1, false);
        }

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
                    this.privateBroker, this.jvmOptions, this.instances, this.brokerNodes, this.privateDatabase);
        }

        public Settings withBasePort(int port) {
            return new Settings(port, this.paymentWindow, this.cancelGrace, this.operatorPassword, this.extraArgs,
                    this.privateBroker, this.jvmOptions, this.instances, this.brokerNodes, this.privateDatabase);
        }

        /** These arguments for every service, after (and replacing) the run's own of the same name. */
        public Settings withExtraArgs(List<String> args) {
            return new Settings(this.basePort, this.paymentWindow, this.cancelGrace, this.operatorPassword, args,
                    this.privateBroker, this.jvmOptions, this.instances, this.brokerNodes, this.privateDatabase);
        }

        /**
         * {@code instances} of each service, on a broker of {@code brokerNodes} nodes, with or without a database
         * server of the run's own.
         */
        public Settings withScale(int instances, int brokerNodes, boolean privateDatabase) {
            if (instances < 1 || instances > 9 || (brokerNodes != 1 && brokerNodes != 3)) {
                throw new IllegalArgumentException("1 to 9 instances on 1 or 3 broker nodes, not " + instances + " on "
                        + brokerNodes);
            }
            return new Settings(this.basePort, this.paymentWindow, this.cancelGrace, this.operatorPassword, this.extraArgs,
                    this.privateBroker, this.jvmOptions, instances, brokerNodes, privateDatabase);
        }

        /**
         * The JVM options of every process, in place of {@link #QUICK_START}; {@code {service}} in an option is
         * replaced by the service's short name (for one flight recording per process, say).
         */
        public Settings withJvmOptions(List<String> options) {
            return new Settings(this.basePort, this.paymentWindow, this.cancelGrace, this.operatorPassword,
                    this.extraArgs, this.privateBroker, List.copyOf(options), this.instances, this.brokerNodes,
                    this.privateDatabase);
        }
    }

    /**
     * Every retry and re-drive schedule the processes run with: after the faults stop, nothing scheduled can fire
     * later than the longest of these, which bounds how long the invariants must keep holding.
     */
    static final Map<String, List<Duration>> SCHEDULES = Map.of(
            "gateway.callback-retry-delays", seconds(1, 2, 4, 8, 15, 30),
            "gateway.alipay.notify-retry-delays", seconds(1, 2, 4, 8, 15, 30),
            "gateway.wechat.notify-retry-delays", seconds(1, 2, 4, 8, 15, 30),
            "tally.topology.retry-delays", seconds(1, 3),
            "tally.dead-letters.redrive-delays", seconds(5, 10, 30),
            "payment.checks.query-delays", seconds(4, 2, 4),
            "payment.checks.refund-delays", seconds(1, 2, 4));

    private final Path home;

    private final Settings settings;

    private final String run = UUID.randomUUID().toString().replace("-", "").substring(0, 10).toLowerCase(Locale.ROOT);

    private final Path logs;

    /**
     * One process of a service: {@code index} 0 is the first (its log is {@code <module>.log}), 1 the second
     * ({@code <module>-2.log}), and so on.
     */
    public record Instance(Service service, int index) {

        /** As in {@code payment} or {@code payment-2}. */
        public String name() {
            return this.service.shortName() + (this.index == 0 ? "" : "-" + (this.index + 1));
        }

        String logName() {
            return this.service.module() + (this.index == 0 ? "" : "-" + (this.index + 1)) + ".log";
        }
    }

    private final Map<Instance, Process> processes = new java.util.concurrent.ConcurrentHashMap<>();

    private final Map<Instance, Integer> ports = new LinkedHashMap<>();

    /** Instances killed and not yet healthy again: a load balancer's health check would send them nothing. */
    private final java.util.Set<Instance> down = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final java.util.concurrent.atomic.AtomicInteger turn = new java.util.concurrent.atomic.AtomicInteger();

    private final java.util.concurrent.atomic.AtomicInteger startsAfterExit = new java.util.concurrent.atomic.AtomicInteger();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private String dbHost = env("TALLY_DB_HOST", "127.0.0.1");

    private String dbPort = env("TALLY_DB_PORT", "3306");

    private String dbUser = env("TALLY_DB_USER", "root");

    private String dbPassword = env("TALLY_DB_PASSWORD", "");

    private @Nullable DatabaseNode database;

    private final java.util.concurrent.atomic.AtomicInteger databaseRestarts = new java.util.concurrent.atomic.AtomicInteger();

    private final boolean attached;

    private @Nullable BrokerNode broker;

    /** The nodes of the run's broker, {@link #broker} first; empty with the machine's broker. */
    private final List<BrokerNode> brokerNodes = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final java.util.concurrent.atomic.AtomicInteger kills = new java.util.concurrent.atomic.AtomicInteger();

    private final java.util.concurrent.atomic.AtomicInteger brokerRestarts = new java.util.concurrent.atomic.AtomicInteger();

    public Cluster(Path home, Settings settings) {
        this(home, settings, false);
    }

    private Cluster(Path home, Settings settings, boolean attached) {
        this.home = home.toAbsolutePath().normalize();
        this.settings = settings;
        this.logs = this.home.resolve("system-test/target/logs/" + this.run);
        this.attached = attached;
        for (Service service : Service.values()) {
            int count = attached || service == Service.GATEWAY ? 1 : settings.instances();
            for (int index = 0; index < count; index++) {
                this.ports.put(new Instance(service, index), attached ? defaultPort(service)
                        : settings.basePort() > 0 ? settings.basePort() + service.offset + 10 * index : BrokerNode.freePort());
            }
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
        if (this.settings.privateDatabase()) {
            this.database = DatabaseNode.start(this.home.resolve("system-test/target/mariadb-" + this.run));
            this.dbHost = "127.0.0.1";
            this.dbPort = Integer.toString(this.database.port());
            this.dbUser = "root";
            this.dbPassword = "";
        }
        if (this.settings.privateBroker()) {
            for (int node = 0; node < this.settings.brokerNodes(); node++) {
                BrokerNode started = BrokerNode.start(this.home.resolve("system-test/target/rabbit-" + this.run
                        + (node == 0 ? "" : "-" + (node + 1))), "tally" + this.run + (node == 0 ? "" : "n" + (node + 1)));
                this.brokerNodes.add(started); // close() stops it, joined or not
                if (node > 0) {
                    started.joinCluster(this.brokerNodes.get(0));
                }
            }
            this.broker = this.brokerNodes.get(0);
        }
        for (Instance instance : this.ports.keySet()) {
            startProcess(instance);
            awaitHealthy(instance, Duration.ofMinutes(3));
        }
    }

    /**
     * A service's address for the next request: its instances in turn, leaving out the ones killed and not yet
     * healthy again, as a load balancer with health checks would.
     */
    @Override
    public String url(Service service) {
        List<Instance> up = instances(service).stream().filter(instance -> !this.down.contains(instance)).toList();
        List<Instance> candidates = up.isEmpty() ? instances(service) : up;
        return url(candidates.get(Math.floorMod(this.turn.getAndIncrement(), candidates.size())));
    }

    /** One instance's address. */
    public String url(Instance instance) {
        return "http://127.0.0.1:" + this.ports.get(instance);
    }

    /** The instances of a service, the first one first. */
    public List<Instance> instances(Service service) {
        return this.ports.keySet().stream().filter(instance -> instance.service() == service).toList();
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
        return this.kills.get();
    }

    /** The global message counters of the run's own broker node; empty when the run uses the machine's broker. */
    public Map<String, Long> brokerMessageCounters() {
        return this.broker != null ? this.broker.messageCounters() : Map.of();
    }

    public int brokerRestarts() {
        return this.brokerRestarts.get();
    }

    /** The AMQP port of the run's broker. */
    public int brokerPort() {
        return this.broker != null ? this.broker.amqpPort() : Integer.parseInt(env("RABBITMQ_PORT", "5672"));
    }

    /** Kills the service's first instance with SIGKILL and leaves it down. */
    public void kill(Service service) {
        kill(new Instance(service, 0));
    }

    /** Kills an instance with SIGKILL and leaves it down. */
    public void kill(Instance instance) {
        Process process = this.processes.get(instance);
        this.down.add(instance);
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(instance.name() + " did not die within 30 s of SIGKILL");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
        this.kills.incrementAndGet();
    }

    /** Kills the service's first instance with SIGKILL, starts it again and waits until it is healthy. */
    public Duration killAndRestart(Service service) {
        return killAndRestart(new Instance(service, 0));
    }

    /** Kills an instance with SIGKILL, starts it again and waits until it is healthy; answers how long it took. */
    public Duration killAndRestart(Instance instance) {
        long started = System.nanoTime();
        kill(instance);
        startProcess(instance);
        awaitHealthy(instance, Duration.ofMinutes(3));
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /**
     * Restarts the run's broker in place (every node of a cluster: {@code stop_app} on each, then {@code start_app}
     * on all at once): every connection drops; queues and messages stay.
     */
    public void restartBroker() {
        stopBroker();
        startBroker();
    }

    /** Stops the run's broker, every node of it (an outage), until {@link #startBroker()}. */
    public void stopBroker() {
        if (this.broker == null) {
            throw new IllegalStateException("This run uses the machine's broker, which it never stops");
        }
        List<BrokerNode> reverse = new ArrayList<>(this.brokerNodes);
        java.util.Collections.reverse(reverse);
        reverse.forEach(BrokerNode::stopApp);
    }

    /**
     * Ends an outage begun by {@link #stopBroker()}: the nodes of a cluster start together, each on a thread of its
     * own, as they must (a node waits for its peers' tables before it is up; started one after the other, the
     * first would wait for the others for minutes).
     */
    public void startBroker() {
        List<RuntimeException> failed = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> starts = this.brokerNodes.stream().map(node -> Thread.ofPlatform().name("start-" + node.nodeName())
            .start(() -> {
                try {
                    node.startApp();
                }
                catch (RuntimeException ex) {
                    failed.add(ex);
                }
            })).toList();
        for (Thread start : starts) {
            try {
                start.join();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
        }
        if (!failed.isEmpty()) {
            throw failed.get(0);
        }
        this.brokerRestarts.incrementAndGet();
    }

    /** The nodes of the run's broker: 1, or 3 for a cluster; none with the machine's broker. */
    public List<BrokerNode> brokerNodes() {
        return List.copyOf(this.brokerNodes);
    }

    /** The run's database server, when it has one of its own. */
    public java.util.Optional<DatabaseNode> databaseNode() {
        return java.util.Optional.ofNullable(this.database);
    }

    /** How many times the run's database was stopped and started again. */
    public int databaseRestarts() {
        return this.databaseRestarts.get();
    }

    /**
     * Stops the run's database server (SIGTERM, as {@code systemctl stop}), leaves it down for {@code down}, and
     * starts it again; answers once it accepts clients again.
     */
    public void restartDatabase(Duration down) {
        if (this.database == null) {
            throw new IllegalStateException("This run uses the machine's database, which it never stops");
        }
        this.database.stop();
        long stopped = System.nanoTime();
        while (System.nanoTime() - stopped < down.toNanos()) {
            PublicApi.pauseFor(250); // the outage itself
        }
        this.database.startAgain();
        this.databaseRestarts.incrementAndGet();
    }

    /** Whether every instance of the service answers its health check now (within a few seconds). */
    public boolean healthy(Service service) {
        return instances(service).stream().allMatch(this::healthy);
    }

    /** Whether the instance answers its health check now (within a few seconds). */
    public boolean healthy(Instance instance) {
        try {
            HttpResponse<String> health = this.http.send(HttpRequest.newBuilder(URI.create(url(instance) + "/actuator/health"))
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

    /** Our Alipay app and seller at the simulator (the demo's; config/test-keys holds their keys). */
    public static final String ALIPAY_APP_ID = "2021000000000001";

    public static final String ALIPAY_SELLER_ID = "2088000000000001";

    /** Our WeChat Pay merchant, app, API key serial number, and WeChat Pay's public key id, at the simulator. */
    public static final String WECHAT_MCHID = "1900000001";

    public static final String WECHAT_APPID = "wx0000000000000001";

    public static final String WECHAT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";

    public static final String WECHAT_PUBLIC_KEY_ID = "PUB_KEY_ID_0119000000012026120600000000000001";

    /** The payment channels every run has enabled, each against the simulator speaking its protocol. */
    public static final List<String> CHANNELS = List.of("simulator", "alipay", "wechat");

    /** The demo's WeChat Pay API v3 key, from config/test-keys (a published test secret, never a real one). */
    private String wechatApiV3Key() {
        try {
            return Files.readString(this.home.resolve("config/test-keys/wechat-api-v3-key.txt")).strip();
        }
        catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private volatile List<String> channels = CHANNELS;

    /** Makes payments through these channels only (the demo's {@code --channel}); all three unless set. */
    public void useChannels(List<String> channels) {
        if (channels.isEmpty() || !CHANNELS.containsAll(channels)) {
            throw new IllegalArgumentException("Channels are among " + CHANNELS + ": " + channels);
        }
        this.channels = List.copyOf(channels);
    }

    @Override
    public List<String> channels() {
        return this.channels;
    }

    private void startProcess(Instance instance) {
        Service service = instance.service();
        Path jar = this.home.resolve(service.module() + "/target/" + service.module() + "-0.1.0-SNAPSHOT-exec.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("Build the services first (./mvnw -DskipTests package): no " + jar);
        }
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        this.settings.jvmOptions().forEach(option -> command.add(option.replace("{service}", instance.name())));
        command.addAll(List.of("-jar", jar.toString()));
        List<String> args = new ArrayList<>(List.of("--server.port=" + this.ports.get(instance)));
        String keys = this.home.resolve("config/test-keys").toString();
        switch (service) {
            case GATEWAY -> args.addAll(List.of("--gateway.private-key-location=file:" + keys + "/channel-private.pem",
                    "--gateway.merchants[0].id=M100",
                    "--gateway.merchants[0].public-key-location=file:" + keys + "/merchant-public.pem",
                    schedule("gateway.callback-retry-delays"),
                    // Alipay's and WeChat Pay's protocols, with the same demo keys (config/test-keys/README.md)
                    "--gateway.alipay.apps[0].app-id=" + ALIPAY_APP_ID, "--gateway.alipay.apps[0].seller-id=" + ALIPAY_SELLER_ID,
                    "--gateway.alipay.apps[0].public-key-location=file:" + keys + "/merchant-public.pem",
                    schedule("gateway.alipay.notify-retry-delays"),
                    "--gateway.wechat.public-key-id=" + WECHAT_PUBLIC_KEY_ID,
                    "--gateway.wechat.merchants[0].mchid=" + WECHAT_MCHID,
                    "--gateway.wechat.merchants[0].appid=" + WECHAT_APPID,
                    "--gateway.wechat.merchants[0].serial-no=" + WECHAT_SERIAL,
                    "--gateway.wechat.merchants[0].public-key-location=file:" + keys + "/merchant-public.pem",
                    "--gateway.wechat.merchants[0].api-v3-key=" + wechatApiV3Key(),
                    schedule("gateway.wechat.notify-retry-delays")));
            case INVENTORY, ORDER, PAYMENT -> {
                args.addAll(List.of("--spring.datasource.url=" + jdbcUrl(database(service)),
                        "--spring.datasource.username=" + this.dbUser, "--spring.datasource.password=" + this.dbPassword,
                        brokerAddresses(), brokerShuffle(),
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
                            "--payment.channel.notify-url=" + url(instance) + "/api/payments/callbacks",
                            "--payment.alipay.enabled=true",
                            "--payment.alipay.server-url=" + url(Service.GATEWAY) + "/alipay/gateway.do",
                            "--payment.alipay.app-id=" + ALIPAY_APP_ID, "--payment.alipay.seller-id=" + ALIPAY_SELLER_ID,
                            "--payment.alipay.app-private-key=file:" + keys + "/merchant-private.pem",
                            "--payment.alipay.alipay-public-key=file:" + keys + "/channel-public.pem",
                            "--payment.alipay.notify-url=" + url(instance) + "/api/payments/callbacks/alipay",
                            "--payment.alipay.expiry-margin=2s",
                            "--payment.wechat.enabled=true", "--payment.wechat.base-url=" + url(Service.GATEWAY),
                            "--payment.wechat.mchid=" + WECHAT_MCHID, "--payment.wechat.appid=" + WECHAT_APPID,
                            "--payment.wechat.merchant-serial-number=" + WECHAT_SERIAL,
                            "--payment.wechat.merchant-private-key=file:" + keys + "/merchant-private.pem",
                            "--payment.wechat.public-key-id=" + WECHAT_PUBLIC_KEY_ID,
                            "--payment.wechat.public-key=file:" + keys + "/channel-public.pem",
                            "--payment.wechat.api-v3-key=" + wechatApiV3Key(),
                            "--payment.wechat.notify-url=" + url(instance) + "/api/payments/callbacks/wechat",
                            schedule("payment.checks.query-delays"), "--payment.checks.query-max-attempts=40",
                            schedule("payment.checks.refund-delays"), "--payment.checks.poll=200ms",
                            "--payment.checks.lease=15s"));
                    // with one instance, the checks run reconciliation; with several, every instance also runs the
                    // daily schedule (from midnight, two days back), which must still run once per day
                    args.addAll(this.settings.instances() > 1
                            ? List.of("--payment.reconciliation.enabled=true", "--payment.reconciliation.daily-at=00:00",
                                    "--payment.reconciliation.poll=2s", "--payment.reconciliation.catch-up-days=2")
                            : List.of("--payment.reconciliation.enabled=false"));
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
            File log = this.logs.resolve(instance.logName()).toFile();
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .start();
            this.processes.put(instance, process);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot start " + service.module(), ex);
        }
    }

    private static String schedule(String property) {
        return "--" + property + "=" + String.join(",", SCHEDULES.get(property).stream().map(d -> d.toMillis() + "ms").toList());
    }

    /** The log of an instance: everything it wrote, across its restarts. */
    public Path log(Instance instance) {
        return this.logs.resolve(instance.logName());
    }

    /** The addresses of every node of the run's broker (or the machine's), for the clients. */
    private String brokerAddresses() {
        if (this.brokerNodes.isEmpty()) {
            return "--spring.rabbitmq.port=" + brokerPort();
        }
        // shuffled, so that the instances' connections (and the quorum queues' leaders, placed on the declaring
        // client's node) spread over the nodes
        return "--spring.rabbitmq.addresses=" + String.join(",",
                this.brokerNodes.stream().map(node -> "127.0.0.1:" + node.amqpPort()).toList());
    }

    private String brokerShuffle() {
        return "--spring.rabbitmq.address-shuffle-mode=" + (this.brokerNodes.size() > 1 ? "random" : "none");
    }

    private void awaitHealthy(Service service, Duration atMost) {
        for (Instance instance : instances(service)) {
            awaitHealthy(instance, atMost);
        }
    }

    /**
     * Waits until the instance is healthy. One that exits while it starts (its broker or its database was away when
     * it needed them) is started again after a back-off that doubles from 2 s to 30 s, within {@code atMost}, as an
     * orchestrator's restart policy would.
     */
    private void awaitHealthy(Instance instance, Duration atMost) {
        long[] backoff = { 2000 };
        long[] restartAt = { 0 };
        await(instance.name() + " healthy (its log: " + log(instance) + ")").atMost(atMost)
            .pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
            if (!this.attached && !this.processes.get(instance).isAlive()) {
                long now = System.nanoTime();
                if (restartAt[0] == 0) {
                    restartAt[0] = now + backoff[0] * 1_000_000;
                    backoff[0] = Math.min(backoff[0] * 2, 30_000);
                }
                else if (now >= restartAt[0]) {
                    restartAt[0] = 0;
                    this.startsAfterExit.incrementAndGet();
                    startProcess(instance);
                }
                return false;
            }
            return healthy(instance);
        });
        this.down.remove(instance);
    }

    /** How often a process that exited while it started was started again. */
    public int startsAfterExit() {
        return this.startsAfterExit.get();
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
        Process process = this.processes.get(new Instance(service, 0));
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
        List<Instance> reverse = new ArrayList<>(this.ports.keySet());
        java.util.Collections.reverse(reverse);
        for (Instance instance : reverse) {
            Process process = this.processes.get(instance);
            if (process == null) {
                continue;
            }
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
        List<BrokerNode> nodes = new ArrayList<>(this.brokerNodes);
        java.util.Collections.reverse(nodes);
        for (BrokerNode node : nodes) {
            try {
                node.close();
            }
            catch (RuntimeException ex) {
                System.getLogger(Cluster.class.getName())
                    .log(System.Logger.Level.WARNING, "Could not stop " + node.nodeName() + ": " + ex.getMessage());
            }
        }
        if (this.database != null) {
            this.database.close();
            return;
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
