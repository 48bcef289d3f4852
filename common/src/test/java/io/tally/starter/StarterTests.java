package io.tally.starter;

import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration;
import org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

import io.tally.http.ApiDocsAutoConfiguration;
import io.tally.http.IdempotencyAutoConfiguration;
import io.tally.http.StrictJsonAutoConfiguration;
import io.tally.metrics.TableGauges;
import io.tally.metrics.TableGaugesAutoConfiguration;
import io.tally.operator.OperatorSecurityAutoConfiguration;
import io.tally.operator.OtherPathsSecurityAutoConfiguration;
import io.tally.outbox.Outbox;
import io.tally.outbox.TraceHeaders;
import io.tally.testing.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The library as a starter another team adds to its application: it changes nothing about the application's
 * security or web layer unless asked, each of its beans backs off when the application defines its own, and web,
 * security and the database driver are optional.
 */
class StarterTests {

    private final WebApplicationContextRunner security = new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(SecurityAutoConfiguration.class, ServletWebSecurityAutoConfiguration.class,
                OtherPathsSecurityAutoConfiguration.class, OperatorSecurityAutoConfiguration.class))
        .withPropertyValues("spring.security.user.password=starter-test-only");

    @Test
    void addingItLeavesTheApplicationsSecurityAsSpringBootMadeIt() {
        this.security.run(context -> assertThat(context.getBeansOfType(SecurityFilterChain.class))
            .as("Spring Boot's default chain alone: every request authenticated").containsOnlyKeys("defaultSecurityFilterChain"));
    }

    @Test
    void theOperatorChainWhenAskedKeepsEveryOtherPathAuthenticated() {
        this.security.withPropertyValues("tally.operator.enabled=true").run(context -> {
            Map<String, SecurityFilterChain> chains = context.getBeansOfType(SecurityFilterChain.class);
            assertThat(chains).containsOnlyKeys("tallyOperatorSecurityFilterChain", "tallyOtherPathsSecurityFilterChain");
            assertThat(chains.get("tallyOperatorSecurityFilterChain").matches(request("GET", "/api/admin/dead-letters"))).isTrue();
            assertThat(chains.get("tallyOperatorSecurityFilterChain").matches(request("GET", "/api/orders/1"))).isFalse();
            assertThat(chains.get("tallyOtherPathsSecurityFilterChain").matches(request("GET", "/api/orders/1")))
                .as("what the operator chain does not guard is authenticated as Boot's default chain would have it").isTrue();
        });
    }

    @Test
    void otherPathsAreOpenOnlyWhenTheApplicationSaysSo() {
        this.security.withPropertyValues("tally.operator.enabled=true", "tally.operator.other-paths=permitted")
            .run(context -> assertThat(context.getBeansOfType(SecurityFilterChain.class))
                .containsOnlyKeys("tallyOperatorSecurityFilterChain"));
    }

    @Test
    void theApplicationsOwnChainIsKeptBesideTheOperatorChain() {
        this.security.withPropertyValues("tally.operator.enabled=true").withUserConfiguration(HostSecurity.class)
            .run(context -> assertThat(context.getBeansOfType(SecurityFilterChain.class))
                .containsOnlyKeys("hostChain", "tallyOperatorSecurityFilterChain"));
    }

    @Test
    void theWebPartsAreInstalledOnlyWhenAsked() {
        WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, StrictJsonAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class, ApiDocsAutoConfiguration.class));
        web.run(context -> {
            assertThat(context).doesNotHaveBean("tallyStrictJson").doesNotHaveBean("tallyIdempotencyFilter")
                .doesNotHaveBean("tallyPublicApi").doesNotHaveBean(OpenAPI.class);
        });
        web.withPropertyValues("tally.json.strict=true", "tally.operator.enabled=true").run(context -> {
            assertThat(context).hasBean("tallyStrictJson").hasBean("tallyPublicApi").hasBean("tallyOperatorApi");
            assertThat(context.getBean(OpenAPI.class).getInfo().getTitle()).isEqualTo("service");
        });
    }

    @Test
    void itsApiDocsAndGaugesBackOffForTheApplicationsOwn() {
        new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ApiDocsAutoConfiguration.class, TableGaugesAutoConfiguration.class))
            .withPropertyValues("tally.operator.enabled=true")
            .withUserConfiguration(HostBeans.class)
            .run(context -> {
                assertThat(context.getBean(OpenAPI.class).getInfo().getTitle()).isEqualTo("the host's API");
                assertThat(context.getBean(TableGauges.class)).isSameAs(context.getBean(HostBeans.class).gauges);
            });
    }

    /**
     * A worker that has neither Spring MVC nor Spring Security: the outbox and the consumer chain start, against a
     * real database and broker, and the application's own outbox and trace headers replace the library's.
     */
    @Test
    void aWorkerWithoutWebOrSecurityRunsTheMessagingAndKeepsItsOwnBeans() {
        TestInfrastructure.Servers servers = TestInfrastructure.servers();
        String database = TestInfrastructure.newDatabase();
        ApplicationContextRunner worker = new ApplicationContextRunner()
            .withClassLoader(new FilteredClassLoader("org.springframework.web.servlet", "org.springframework.security"))
            .withUserConfiguration(Worker.class)
            .withPropertyValues("spring.datasource.url=" + servers.jdbcUrl(database),
                    "spring.datasource.username=" + servers.dbUser(), "spring.datasource.password=" + servers.dbPassword(),
                    "spring.rabbitmq.host=" + servers.rabbitHost(), "spring.rabbitmq.port=" + servers.rabbitPort(),
                    "spring.rabbitmq.username=" + servers.rabbitUser(), "spring.rabbitmq.password=" + servers.rabbitPassword(),
                    "spring.rabbitmq.publisher-confirm-type=correlated", "spring.rabbitmq.publisher-returns=true",
                    "spring.flyway.locations=classpath:db/tally", "tally.topology.service=worker",
                    "tally.topology.prefix=" + TestInfrastructure.newBrokerPrefix(), "tally.topology.delete-on-close=true",
                    "tally.topology.exchanges=worker.events");
        worker.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasBean("tallyOutboxRelay").hasBean("tallyConsumerContainers");
            assertThat(context).doesNotHaveBean("tallyOperatorSecurityFilterChain").doesNotHaveBean("tallyDeadLetterController");
            assertThat(context.getBean(Outbox.class)).isSameAs(context.getBean(Worker.class).outbox);
            assertThat(context.getBean(TraceHeaders.class)).isSameAs(Worker.TRACE);
        });
    }

    private static MockHttpServletRequest request(String method, String path) {
        MockHttpServletRequest request = new MockHttpServletRequest(method, path);
        request.setServletPath(path);
        return request;
    }

    @Configuration(proxyBeanMethods = false)
    static class HostSecurity {

        @Bean
        SecurityFilterChain hostChain(HttpSecurity http) throws Exception {
            return http.securityMatcher("/host/**").authorizeHttpRequests(r -> r.anyRequest().permitAll()).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class HostBeans {

        final TableGauges gauges = new TableGauges(new SimpleMeterRegistry(), java.util.List.of());

        @Bean
        OpenAPI hostOpenApi() {
            return new OpenAPI().info(new Info().title("the host's API"));
        }

        @Bean
        TableGauges hostGauges() {
            return this.gauges;
        }

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Worker {

        static final TraceHeaders TRACE = () -> Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

        final Outbox outbox = (aggregateId, event) -> "host-outbox";

        @Bean
        Outbox hostOutbox() {
            return this.outbox;
        }

        @Bean
        TraceHeaders hostTraceHeaders() {
            return TRACE;
        }
    }
}
