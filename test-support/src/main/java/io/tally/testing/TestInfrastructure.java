package io.tally.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.mysql.MySQLContainer;
import org.testcontainers.rabbitmq.RabbitMQContainer;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The RabbitMQ broker and MySQL server that integration tests talk to.
 * <p>
 * When a Docker engine answers, MySQL 8.4 and RabbitMQ 4.x are started once per JVM with Testcontainers.
 * Otherwise the local services are used, at addresses taken from environment variables (or system
 * properties of the same name in lower case with dots):
 * {@code TALLY_TEST_DB_HOST} (127.0.0.1), {@code TALLY_TEST_DB_PORT} (3306), {@code TALLY_TEST_DB_USER}
 * (root), {@code TALLY_TEST_DB_PASSWORD} (empty), {@code TALLY_TEST_RABBIT_HOST} (127.0.0.1),
 * {@code TALLY_TEST_RABBIT_PORT} (5672), {@code TALLY_TEST_RABBIT_USER} (guest),
 * {@code TALLY_TEST_RABBIT_PASSWORD} (guest). Set {@code TALLY_TEST_LOCAL=true} to use the local services
 * even when Docker answers.
 * <p>
 * Every call of {@link #newDatabase()} creates a database of its own, dropped when the JVM exits;
 * {@link #newBrokerPrefix()} gives broker names of their own, which the test context deletes on close.
 */
public final class TestInfrastructure {

    private static final Logger log = LoggerFactory.getLogger(TestInfrastructure.class);

    private static final List<String> createdDatabases = new CopyOnWriteArrayList<>();

    private static volatile Servers servers;

    private TestInfrastructure() {
    }

    /** The servers in use, started on first call. */
    public static Servers servers() {
        Servers current = servers;
        if (current == null) {
            synchronized (TestInfrastructure.class) {
                current = servers;
                if (current == null) {
                    current = start();
                    servers = current;
                    Runtime.getRuntime().addShutdownHook(new Thread(TestInfrastructure::dropDatabases, "drop-test-databases"));
                }
            }
        }
        return current;
    }

    /**
     * Creates a new, empty database and answers its name. It has the server's default collation for utf8mb4, as a
     * production schema would (case-insensitive on MySQL and MariaDB): identifiers compare byte for byte only where
     * the migrations say so, and the tests see it when they do not.
     */
    public static String newDatabase() {
        Servers s = servers();
        String name = "tally_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        execute(s, "CREATE DATABASE " + name + " CHARACTER SET utf8mb4");
        createdDatabases.add(name);
        return name;
    }

    /** A prefix for broker names (exchanges, queues) that no other test run uses. */
    public static String newBrokerPrefix() {
        return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10).toLowerCase(Locale.ROOT) + ".";
    }

    /**
     * Registers the Spring Boot properties for a new database and the broker.
     * @return the name of the new database
     */
    public static String register(DynamicPropertyRegistry registry) {
        Servers s = servers();
        String database = newDatabase();
        registry.add("spring.datasource.url", () -> s.jdbcUrl(database));
        registry.add("spring.datasource.username", s::dbUser);
        registry.add("spring.datasource.password", s::dbPassword);
        registry.add("spring.rabbitmq.host", s::rabbitHost);
        registry.add("spring.rabbitmq.port", s::rabbitPort);
        registry.add("spring.rabbitmq.username", s::rabbitUser);
        registry.add("spring.rabbitmq.password", s::rabbitPassword);
        return database;
    }

    /** A JDBC connection to the server, without a default database. */
    public static Connection adminConnection() throws SQLException {
        Servers s = servers();
        return DriverManager.getConnection(s.jdbcUrl(""), s.dbUser(), s.dbPassword());
    }

    private static void execute(Servers s, String sql) {
        try (Connection c = DriverManager.getConnection(s.jdbcUrl(""), s.dbUser(), s.dbPassword());
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Cannot run '" + sql + "' on " + s.jdbcUrl("") + ": " + ex.getMessage(), ex);
        }
    }

    private static void dropDatabases() {
        Servers s = servers;
        if (s == null) {
            return;
        }
        for (String name : createdDatabases) {
            try {
                execute(s, "DROP DATABASE IF EXISTS " + name);
            }
            catch (RuntimeException ex) {
                log.warn("Could not drop test database {}: {}", name, ex.getMessage());
            }
        }
    }

    private static Servers start() {
        if (useContainers()) {
            log.info("Docker answers: starting MySQL 8.4 and RabbitMQ 4 with Testcontainers");
            MySQLContainer mysql = new MySQLContainer("mysql:8.4").withUsername("tally").withPassword("tally");
            RabbitMQContainer rabbit = new RabbitMQContainer("rabbitmq:4.1-management");
            mysql.start();
            rabbit.start();
            return new Servers(mysql.getHost(), mysql.getMappedPort(3306), "root", mysql.getPassword(),
                    rabbit.getHost(), rabbit.getAmqpPort(), rabbit.getAdminUsername(), rabbit.getAdminPassword(), true);
        }
        Servers local = new Servers(setting("TALLY_TEST_DB_HOST", "127.0.0.1"),
                Integer.parseInt(setting("TALLY_TEST_DB_PORT", "3306")), setting("TALLY_TEST_DB_USER", "root"),
                setting("TALLY_TEST_DB_PASSWORD", ""), setting("TALLY_TEST_RABBIT_HOST", "127.0.0.1"),
                Integer.parseInt(setting("TALLY_TEST_RABBIT_PORT", "5672")), setting("TALLY_TEST_RABBIT_USER", "guest"),
                setting("TALLY_TEST_RABBIT_PASSWORD", "guest"), false);
        log.info("No Docker engine: using the local MySQL/MariaDB at {}:{} and RabbitMQ at {}:{}", local.dbHost(),
                local.dbPort(), local.rabbitHost(), local.rabbitPort());
        return local;
    }

    /** Whether Testcontainers is used: a Docker engine answers, and {@code TALLY_TEST_LOCAL} is not {@code true}. */
    public static boolean useContainers() {
        return !Boolean.parseBoolean(setting("TALLY_TEST_LOCAL", "false")) && dockerAvailable();
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        }
        catch (RuntimeException ex) {
            return false;
        }
    }

    static String setting(String name, String fallback) {
        String value = System.getenv(name);
        if (value == null) {
            value = System.getProperty(name.toLowerCase(Locale.ROOT).replace('_', '.'));
        }
        return value != null ? value : fallback;
    }

    /** Where the servers answer. */
    public record Servers(String dbHost, int dbPort, String dbUser, String dbPassword, String rabbitHost,
            int rabbitPort, String rabbitUser, String rabbitPassword, boolean containers) {

        /** A JDBC URL for the given database ({@code ""} for none). */
        public String jdbcUrl(String database) {
            return "jdbc:mysql://" + dbHost + ":" + dbPort + "/" + database
                    + "?useSSL=false&allowPublicKeyRetrieval=true&rewriteBatchedStatements=true"
                    + "&connectionTimeZone=UTC&forceConnectionTimeZoneToSession=true";
        }
    }
}
