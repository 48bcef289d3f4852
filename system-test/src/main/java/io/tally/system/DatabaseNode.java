package io.tally.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A MariaDB server of a run's own on this machine: its own data directory, port and socket, created with the local
 * installation's {@code mariadb-install-db} and run with {@code mariadbd}, configured as the machine's Debian server
 * is (utf8mb4, general collation, the same engine defaults), so that a run can stop and start its database under
 * load without touching the machine's own server, which other programs may be using. The root account has no
 * password and listens on loopback only.
 */
public final class DatabaseNode implements AutoCloseable {

    private static final String SERVER = "/usr/sbin/mariadbd";

    private final Path dir;

    private final int port;

    private Process process;

    private DatabaseNode(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Whether this machine can run a database of a run's own ({@code mariadbd} and {@code mariadb-install-db}). */
    public static boolean available() {
        return available(System.getenv().getOrDefault("PATH", ""));
    }

    /** As {@link #available()}, looking for {@code mariadb-install-db} on {@code path}. */
    static boolean available(String path) {
        return Files.isExecutable(Path.of(SERVER)) && onPath(path, "mariadb-install-db");
    }

    /**
     * Creates a new server's files under {@code dir}, starts it on a free port and waits until it accepts clients.
     * @throws IllegalStateException when MariaDB is not installed here or the server does not start
     */
    public static DatabaseNode start(Path dir) {
        DatabaseNode node = new DatabaseNode(dir.toAbsolutePath(), BrokerNode.freePort());
        try {
            node.install();
            node.boot();
        }
        catch (RuntimeException ex) {
            node.close();
            throw ex;
        }
        return node;
    }

    public int port() {
        return this.port;
    }

    /**
     * Stops the server as {@code systemctl stop} would (SIGTERM: it finishes what it writes and shuts down), and
     * waits until it has exited: every connection is cut, and new ones are refused.
     */
    public void stop() {
        this.process.destroy();
        try {
            if (!this.process.waitFor(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("mariadbd did not stop within 120 s of SIGTERM");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** Starts the server again on its port and data, and waits until it accepts clients. */
    public void startAgain() {
        boot();
    }

    /** Stops the server and removes its files. */
    @Override
    public void close() {
        if (this.process != null && this.process.isAlive()) {
            this.process.destroy();
            try {
                if (!this.process.waitFor(60, TimeUnit.SECONDS)) {
                    this.process.destroyForcibly();
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                this.process.destroyForcibly();
            }
        }
        BrokerNode.delete(this.dir);
    }

    private void install() {
        try {
            Files.createDirectories(this.dir);
            Process install = new ProcessBuilder("mariadb-install-db", "--no-defaults", "--datadir=" + this.dir.resolve("data"),
                    "--user=" + user(), "--auth-root-authentication-method=normal", "--skip-test-db")
                .redirectErrorStream(true)
                .redirectOutput(this.dir.resolve("install.log").toFile())
                .start();
            if (!install.waitFor(120, TimeUnit.SECONDS) || install.exitValue() != 0) {
                throw new IllegalStateException("mariadb-install-db failed: " + Files.readString(this.dir.resolve("install.log")));
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot create a database in " + this.dir + " (is MariaDB installed here?)", ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private void boot() {
        List<String> command = new ArrayList<>(List.of(SERVER, "--no-defaults", "--datadir=" + this.dir.resolve("data"),
                "--user=" + user(), "--port=" + this.port, "--bind-address=127.0.0.1",
                "--socket=" + this.dir.resolve("mysqld.sock"), "--pid-file=" + this.dir.resolve("mysqld.pid"),
                "--skip-name-resolve", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
                "--log-error=" + this.dir.resolve("error.log")));
        try {
            this.process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(this.dir.resolve("server.out").toFile()))
                .start();
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Cannot start " + SERVER, ex);
        }
        Process started = this.process;
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!started.isAlive()) {
                throw new IllegalStateException("mariadbd exited; see " + this.dir.resolve("error.log"));
            }
            try (Connection connection = DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + this.port
                    + "/?allowPublicKeyRetrieval=true&useSSL=false&connectTimeout=2000", "root", "")) {
                return connection.isValid(2);
            }
            catch (SQLException ex) {
                return false;
            }
        });
    }

    /** The server runs as root when the run is root (as on CI), else as the current user. */
    private static String user() {
        return System.getProperty("user.name", "root");
    }

    private static boolean onPath(String path, String program) {
        for (String entry : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(entry, program))) {
                return true;
            }
        }
        return false;
    }
}
