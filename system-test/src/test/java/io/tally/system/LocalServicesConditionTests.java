package io.tally.system;

import java.net.ServerSocket;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** Where only Docker exists, the system test is skipped with a message saying what it needs, or fails if required. */
class LocalServicesConditionTests {

    @Test
    void aMachineWithoutTheBrokerCommandsOrADatabaseSkipsWithWhatIsMissing() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort(); // free once closed: nothing listens there
        }
        List<String> missing = LocalServicesCondition.missing("/nonexistent", "127.0.0.1", Integer.toString(closed), "root", "");
        assertThat(missing).hasSize(4)
            .anyMatch(m -> m.contains("'rabbitmq-server' on the PATH"))
            .anyMatch(m -> m.contains("'mariadb-install-db' on the PATH"))
            .anyMatch(m -> m.contains("'rabbitmqctl' on the PATH"))
            .anyMatch(m -> m.contains("a MySQL or MariaDB server at 127.0.0.1:" + closed));
        ConditionEvaluationResult result = LocalServicesCondition.evaluate(missing);
        assertThat(result.isDisabled()).isTrue();
        assertThat(result.getReason()).hasValueSatisfying(reason -> assertThat(reason)
            .contains("The system test needs", "rabbitmq-server", "skipped", "README"));
    }

    @Test
    void requiredItFailsInsteadOfSkipping() {
        System.setProperty("system.require", "true");
        try {
            assertThatIllegalStateException()
                .isThrownBy(() -> LocalServicesCondition.evaluate(List.of("'rabbitmqctl' on the PATH")))
                .withMessageContaining("-Dsystem.require=true");
        }
        finally {
            System.clearProperty("system.require");
        }
    }

    @Test
    void withEverythingHereItRuns() {
        assertThat(LocalServicesCondition.evaluate(List.of()).isDisabled()).isFalse();
    }
}
