package io.tally.system;

import java.io.File;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The system test runs real processes against what this machine has: it starts broker nodes of its own with the
 * local {@code rabbitmq-server} and {@code rabbitmqctl}, and gives each service a database on a MySQL or MariaDB
 * server ({@code TALLY_DB_HOST}, 127.0.0.1:3306 by default). Where they are missing (a laptop with Docker and
 * nothing else) it is skipped with a message that says what it needs, so that {@code ./mvnw verify} passes there;
 * with {@code -Dsystem.require=true} it fails instead (CI also counts the system tests that ran).
 */
final class LocalServicesCondition implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return evaluate(missing(System.getenv("PATH"), env("TALLY_DB_HOST", "127.0.0.1"), env("TALLY_DB_PORT", "3306"),
                env("TALLY_DB_USER", "root"), env("TALLY_DB_PASSWORD", "")));
    }

    static ConditionEvaluationResult evaluate(List<String> missing) {
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("rabbitmq-server, rabbitmqctl and the database server are here");
        }
        String message = "The system test needs " + String.join(" and ", missing) + " on this machine (it starts broker "
                + "nodes of its own and real service processes); skipped. Install them (README, 'Running the tests'), "
                + "or run it where they are, such as CI.";
        if (Boolean.getBoolean("system.require")) {
            throw new IllegalStateException(message.replace("skipped", "and -Dsystem.require=true was given"));
        }
        return ConditionEvaluationResult.disabled(message);
    }

    /** What the system test needs and does not find: the broker's commands on {@code path}, the database server. */
    static List<String> missing(String path, String host, String port, String user, String password) {
        List<String> missing = new ArrayList<>();
        for (String command : List.of("rabbitmq-server", "rabbitmqctl")) {
            if (!onPath(path, command)) {
                missing.add("'" + command + "' on the PATH");
            }
        }
        try (Connection connection = DriverManager.getConnection("jdbc:mysql://" + host + ":" + port + "/?connectTimeout=3000",
                user, password)) {
            connection.isValid(3);
        }
        catch (SQLException ex) {
            missing.add("a MySQL or MariaDB server at " + host + ":" + port + " (" + ex.getMessage() + ")");
        }
        // the CI-size run restarts a database server of its own
        if (path == null || !DatabaseNode.available(path)) {
            missing.add("MariaDB's 'mariadb-install-db' on the PATH and /usr/sbin/mariadbd (Debian's mariadb-server)");
        }
        return missing;
    }

    /** Whether {@code command} is an executable on {@code path}, as the broker node's process builder finds it. */
    private static boolean onPath(String path, String command) {
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            File candidate = new File(dir, command);
            if (candidate.isFile() && candidate.canExecute()) {
                return true;
            }
        }
        return false;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
