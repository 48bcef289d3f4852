package io.tally.order;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import io.tally.testing.DevServices;
import io.tally.testing.TestInfrastructure;
import io.tally.topology.TopologyDeclarer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The development wiring of {@link TestOrderApplication}: the service starts on a database of its own, connected
 * through Spring Boot's connection details (containers where Docker answers, the local servers here otherwise), its
 * migrations applied.
 */
class TestOrderApplicationTests {

    @Test
    void theServiceStartsOnADatabaseOfItsOwnThroughConnectionDetails() {
        try (ConfigurableApplicationContext context = SpringApplication.from(OrderApplication::main)
            .with(DevServices.class)
            .run("--server.port=0", "--spring.security.user.password=dev-wiring-test-only",
                    "--tally.topology.prefix=" + TestInfrastructure.newBrokerPrefix(), "--tally.topology.delete-on-close=true")
            .getApplicationContext()) {
            JdbcConnectionDetails details = context.getBean(JdbcConnectionDetails.class);
            if (!TestInfrastructure.useContainers()) {
                assertThat(details.getJdbcUrl()).as("a database of this run's own on the local server")
                    .contains("/tally_t_");
            }
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM customer_order", Integer.class))
                .as("order-service's migrations ran on it").isZero();
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM tally_outbox", Integer.class)).isZero();
            assertThat(context.getBean(TopologyDeclarer.class)).isNotNull();
        }
    }
}
