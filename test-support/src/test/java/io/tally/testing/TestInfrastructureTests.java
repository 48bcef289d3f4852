package io.tally.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import org.junit.jupiter.api.Test;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every integration test relies on: the servers answer, and each test gets a database and broker names of
 * its own, with the collation a production schema gets by default (so that tests see where a migration forgot to
 * make identifiers compare byte for byte).
 */
class TestInfrastructureTests {

    @Test
    void eachNewDatabaseIsAnEmptyOneOfItsOwnWithTheServersDefaultCollationAsInProduction() throws Exception {
        String first = TestInfrastructure.newDatabase();
        String second = TestInfrastructure.newDatabase();

        assertThat(first).isNotEqualTo(second);
        try (Connection connection = TestInfrastructure.adminConnection(); Statement statement = connection.createStatement()) {
            try (ResultSet rs = statement.executeQuery("SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
                    + "WHERE SCHEMA_NAME IN ('" + first + "', '" + second + "')")) {
                int found = 0;
                while (rs.next()) {
                    assertThat(rs.getString(1)).startsWith("utf8mb4_").isNotEqualTo("utf8mb4_bin");
                    found++;
                }
                assertThat(found).isEqualTo(2);
            }
            try (ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '"
                    + first + "'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("tables in a new database").isZero();
            }
        }
    }

    @Test
    void brokerPrefixesAreNamesOfTheirOwnAndTheBrokerAnswers() throws Exception {
        assertThat(TestInfrastructure.newBrokerPrefix()).isNotEqualTo(TestInfrastructure.newBrokerPrefix())
            .matches("t[0-9a-f]{10}\\.");
        TestInfrastructure.Servers servers = TestInfrastructure.servers();
        CachingConnectionFactory factory = new CachingConnectionFactory(servers.rabbitHost(), servers.rabbitPort());
        factory.setUsername(servers.rabbitUser());
        factory.setPassword(servers.rabbitPassword());
        try (var connection = factory.createConnection()) {
            assertThat(connection.isOpen()).isTrue();
        }
        finally {
            factory.destroy();
        }
    }
}
