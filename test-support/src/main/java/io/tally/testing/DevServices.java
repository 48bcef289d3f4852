package io.tally.testing;

import java.util.List;

import org.testcontainers.mysql.MySQLContainer;
import org.testcontainers.rabbitmq.RabbitMQContainer;

import org.springframework.boot.amqp.autoconfigure.RabbitConnectionDetails;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * A database and a broker for a service started from its {@code Test…Application} ({@code spring-boot:test-run}),
 * connected the Spring Boot way: where a Docker engine answers, MySQL 8.4 and RabbitMQ 4 in containers, as
 * {@link ServiceConnection}s; otherwise the machine's own servers ({@link TestInfrastructure}'s settings), in a
 * database of the run's own, as connection details.
 */
@TestConfiguration(proxyBeanMethods = false)
public class DevServices {

    /** MySQL 8.4 and RabbitMQ 4, started by Spring Boot with the application and stopped with it. */
    @Configuration(proxyBeanMethods = false)
    @Conditional(DockerAnswers.class)
    static class Containers {

        @Bean
        @ServiceConnection
        MySQLContainer mysql() {
            // the services read and write times in UTC, whatever the server's zone
            return new MySQLContainer("mysql:8.4").withUrlParam("connectionTimeZone", "UTC")
                .withUrlParam("forceConnectionTimeZoneToSession", "true");
        }

        @Bean
        @ServiceConnection
        RabbitMQContainer rabbit() {
            return new RabbitMQContainer("rabbitmq:4.1-management");
        }
    }

    /** The machine's own servers: a new database, dropped when the JVM exits. */
    @Configuration(proxyBeanMethods = false)
    @Conditional(NoDocker.class)
    static class LocalServers {

        @Bean
        JdbcConnectionDetails tallyLocalDatabase() {
            TestInfrastructure.Servers servers = TestInfrastructure.servers();
            String url = servers.jdbcUrl(TestInfrastructure.newDatabase());
            return new JdbcConnectionDetails() {
                @Override
                public String getUsername() {
                    return servers.dbUser();
                }

                @Override
                public String getPassword() {
                    return servers.dbPassword();
                }

                @Override
                public String getJdbcUrl() {
                    return url;
                }
            };
        }

        @Bean
        RabbitConnectionDetails tallyLocalBroker() {
            TestInfrastructure.Servers servers = TestInfrastructure.servers();
            return new RabbitConnectionDetails() {
                @Override
                public String getUsername() {
                    return servers.rabbitUser();
                }

                @Override
                public String getPassword() {
                    return servers.rabbitPassword();
                }

                @Override
                public List<Address> getAddresses() {
                    return List.of(new Address(servers.rabbitHost(), servers.rabbitPort()));
                }
            };
        }
    }

    static final class DockerAnswers implements Condition {

        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return TestInfrastructure.useContainers();
        }
    }

    static final class NoDocker implements Condition {

        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !TestInfrastructure.useContainers();
        }
    }
}
