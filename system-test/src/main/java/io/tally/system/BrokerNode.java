package io.tally.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A RabbitMQ node of a run's own on this machine: its own node name, AMQP and distribution ports, data and log
 * directories, started with the local installation's {@code rabbitmq-server}. A run can restart or crash it
 * without touching the machine's own broker, which other programs may be using. Every {@code rabbitmqctl}
 * command's exit status is checked: a failed command is an error, never an empty answer.
 */
public final class BrokerNode implements AutoCloseable {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

    private final Path dir;

    private final String nodeName;

    private final int amqpPort;

    private final int distPort;

    private BrokerNode(Path dir, String nodeName, int amqpPort, int distPort) {
        this.dir = dir;
        this.nodeName = nodeName;
        this.amqpPort = amqpPort;
        this.distPort = distPort;
    }

    /**
     * Starts a new node named {@code <name>@localhost} with its files under {@code dir}, and waits until it
     * accepts clients.
     * @throws IllegalStateException when RabbitMQ is not installed here or the node does not start
     */
    public static BrokerNode start(Path dir, String name) {
        BrokerNode node = new BrokerNode(dir.toAbsolutePath(), name.toLowerCase(Locale.ROOT) + "@localhost", freePort(),
                freePort());
        node.writeFiles();
        try {
            node.boot();
        }
        catch (RuntimeException ex) {
            node.close();
            throw ex;
        }
        return node;
    }

    /** The port clients connect to. */
    public int amqpPort() {
        return this.amqpPort;
    }

    public String nodeName() {
        return this.nodeName;
    }

    /** Restarts the RabbitMQ application in place: every connection drops; queues and messages stay. */
    public void restart() {
        stopApp();
        startApp();
    }

    /** Stops the RabbitMQ application (the broker is away: connections drop and new ones are refused). */
    public void stopApp() {
        rabbitmqctl("stop_app");
    }

    /** Starts the RabbitMQ application again and waits until it accepts clients. */
    public void startApp() {
        rabbitmqctl("start_app");
        rabbitmqctl("await_startup");
    }

    /**
     * Kills the node's Erlang VM with SIGKILL (no clean shutdown, as a crash or an out-of-memory kill would), then
     * starts it again on the same ports and data, and waits until it accepts clients.
     * @return how long it was away
     */
    public Duration crashAndRestart() {
        long started = System.nanoTime();
        crash();
        boot();
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /**
     * Makes this node a member of the seed's cluster (it must have been started alone, with no queues of its own):
     * {@code stop_app}, {@code join_cluster}, {@code start_app}.
     */
    public void joinCluster(BrokerNode seed) {
        rabbitmqctl("stop_app");
        rabbitmqctl("join_cluster", seed.nodeName());
        rabbitmqctl("start_app");
        rabbitmqctl("await_startup");
    }

    /** Kills the node's Erlang VM with SIGKILL (a crash, an out-of-memory kill) and leaves it down. */
    public void crash() {
        long pid = pid();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join());
    }

    /** Starts a crashed node again on its ports and data (it rejoins its cluster), and waits until it accepts clients. */
    public void startAfterCrash() {
        boot();
    }

    /** The nodes of this node's cluster that run now, as this node sees them. */
    public int runningNodes() {
        String count = rabbitmqctl("-q", "eval", "length(rabbit_nodes:all_running()).").trim();
        return Integer.parseInt(count);
    }

    /**
     * The members of each quorum queue whose name starts with {@code prefix}, by queue name, as this node reports
     * them ({@code list_queues name type members}).
     */
    public Map<String, Integer> quorumMembers(String prefix) {
        Map<String, Integer> members = new LinkedHashMap<>();
        for (String line : rabbitmqctl("-q", "list_queues", "name", "type", "members").split("\\R")) {
            String[] cells = line.trim().split("\\s+", 3);
            if (cells.length == 3 && cells[0].startsWith(prefix) && "quorum".equals(cells[1])) {
                members.put(cells[0], (int) cells[2].chars().filter(c -> c == '@').count());
            }
        }
        return members;
    }

    /** The node leading each quorum queue whose name starts with {@code prefix}, by queue name. */
    public Map<String, String> quorumLeaders(String prefix) {
        Map<String, String> leaders = new LinkedHashMap<>();
        for (String line : rabbitmqctl("-q", "list_queues", "name", "type", "leader").split("\\R")) {
            String[] cells = line.trim().split("\\s+");
            if (cells.length == 3 && cells[0].startsWith(prefix) && "quorum".equals(cells[1])) {
                leaders.put(cells[0], cells[2]);
            }
        }
        return leaders;
    }

    /** The client connections of the cluster on this node (by its AMQP port), as this node reports them. */
    public long connectionsHere(BrokerNode reporter) {
        return java.util.Arrays.stream(reporter.rabbitmqctl("-q", "list_connections", "port").split("\\R"))
            .map(String::trim)
            .filter(port -> port.equals(Integer.toString(this.amqpPort)))
            .count();
    }

    /** Messages waiting in each queue of the node, by name. */
    public Map<String, Long> queueDepths() {
        Map<String, Long> depths = new LinkedHashMap<>();
        for (String line : rabbitmqctl("-q", "list_queues", "name", "messages").split("\\R")) {
            String[] cells = line.trim().split("\\s+");
            if (cells.length == 2 && cells[1].matches("\\d+")) {
                depths.put(cells[0], Long.parseLong(cells[1]));
            }
            else if (!line.isBlank() && !line.startsWith("name")) {
                throw new IllegalStateException("Unexpected line from rabbitmqctl list_queues: " + line);
            }
        }
        return depths;
    }

    /**
     * The node's global message counters since it started: {@code received} (messages published to it),
     * {@code delivered} (deliveries from its quorum queues, redeliveries included).
     */
    public Map<String, Long> messageCounters() {
        String overview = rabbitmqctl("eval", "rabbit_global_counters:overview().");
        Map<String, Long> counters = new LinkedHashMap<>();
        java.util.regex.Matcher received = java.util.regex.Pattern.compile("messages_received_total => (\\d+)")
            .matcher(overview);
        int quorum = overview.indexOf("rabbit_quorum_queue");
        java.util.regex.Matcher delivered = java.util.regex.Pattern.compile("messages_delivered_total => (\\d+)")
            .matcher(overview);
        if (!received.find() || quorum < 0 || !delivered.find(quorum)) {
            throw new IllegalStateException("Unexpected global counters from rabbitmqctl: " + overview);
        }
        counters.put("received", Long.parseLong(received.group(1)));
        counters.put("delivered", Long.parseLong(delivered.group(1)));
        return counters;
    }

    /** Stops the node and removes its files. */
    @Override
    public void close() {
        try {
            rabbitmqctl("stop");
        }
        catch (RuntimeException ex) {
            ProcessHandle.of(pidOrZero()).ifPresent(ProcessHandle::destroyForcibly);
        }
        delete(this.dir);
    }

    static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot remove " + dir, ex);
        }
    }

    private void writeFiles() {
        try {
            Files.createDirectories(this.dir);
            // the node runs as the rabbitmq user when started by root: it must be able to write here
            Files.setPosixFilePermissions(this.dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.writeString(this.dir.resolve("rabbitmq.conf"), "listeners.tcp.local = 127.0.0.1:" + this.amqpPort + "\n"
                    + "log.file.level = warning\n");
            Files.writeString(this.dir.resolve("enabled_plugins"), "[].\n");
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot prepare " + this.dir, ex);
        }
    }

    private void boot() {
        ProcessBuilder server = new ProcessBuilder("rabbitmq-server", "-detached").redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(this.dir.resolve("server.out").toFile()));
        Map<String, String> env = server.environment();
        env.put("RABBITMQ_NODENAME", this.nodeName);
        env.put("RABBITMQ_NODE_PORT", Integer.toString(this.amqpPort));
        env.put("RABBITMQ_DIST_PORT", Integer.toString(this.distPort));
        env.put("RABBITMQ_CONFIG_FILE", this.dir.resolve("rabbitmq.conf").toString());
        env.put("RABBITMQ_ENABLED_PLUGINS_FILE", this.dir.resolve("enabled_plugins").toString());
        env.put("RABBITMQ_MNESIA_BASE", this.dir.resolve("mnesia").toString());
        env.put("RABBITMQ_LOG_BASE", this.dir.resolve("log").toString());
        env.put("RABBITMQ_PID_FILE", pidFile().toString());
        run(server, "rabbitmq-server -detached");
        // waits for the pid file, then for the node to boot
        rabbitmqctl("wait", pidFile().toString(), "--timeout", "120");
        rabbitmqctl("await_startup");
    }

    private Path pidFile() {
        return this.dir.resolve("node.pid");
    }

    private long pid() {
        try {
            return Long.parseLong(Files.readString(pidFile()).trim());
        }
        catch (IOException | NumberFormatException ex) {
            throw new IllegalStateException("No pid of " + this.nodeName + " in " + pidFile(), ex);
        }
    }

    private long pidOrZero() {
        try {
            return pid();
        }
        catch (IllegalStateException ex) {
            return 0;
        }
    }

    private String rabbitmqctl(String... args) {
        List<String> command = new ArrayList<>(List.of("rabbitmqctl", "-n", this.nodeName));
        command.addAll(List.of(args));
        return run(new ProcessBuilder(command).redirectErrorStream(true), String.join(" ", command));
    }

    /** Runs a command to its end within the timeout; answers its output, or throws with it. */
    private static String run(ProcessBuilder builder, String what) {
        try {
            boolean captured = builder.redirectOutput() == ProcessBuilder.Redirect.PIPE;
            Process process = builder.start();
            process.getOutputStream().close();
            String output = captured ? new String(process.getInputStream().readAllBytes()) : "";
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(what + " did not end within " + COMMAND_TIMEOUT);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(what + " failed with exit status " + process.exitValue() + ": " + output.trim());
            }
            return output;
        }
        catch (IOException ex) {
            throw new IllegalStateException("Cannot run " + what + " (is RabbitMQ installed on this machine? The system "
                    + "test starts a node of its own with rabbitmq-server and rabbitmqctl)", ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
