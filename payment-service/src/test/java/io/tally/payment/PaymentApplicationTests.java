package io.tally.payment;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.tally.outbox.Outbox;
import io.tally.testing.ServiceTestProperties;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(properties = { "spring.config.name=payment-service", "payment.reconciliation.enabled=false" })
class PaymentApplicationTests {

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        ServiceTestProperties.register(registry);
        // the repository's marked test keys (the working directory is the module's)
        registry.add("payment.channel.merchant-private-key", () -> "file:../config/test-keys/merchant-private.pem");
        registry.add("payment.channel.channel-public-key", () -> "file:../config/test-keys/channel-public.pem");
    }

    @Test
    void startsWithTheCapabilitiesOfCommonFromConfigurationAlone(@Autowired Outbox outbox, @Autowired JdbcTemplate jdbc) {
        assertThat(outbox).isNotNull();
        assertThat(jdbc.queryForList("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()",
                String.class)).map(String::toLowerCase)
            .contains("tally_outbox", "tally_inbox", "tally_dead_letter", "tally_idempotent_request");
    }

    /** No key is built into the code: without its configured keys, payment-service refuses to start, saying which. */
    @Test
    void refusesToStartWithoutItsSigningKeys() {
        org.springframework.boot.SpringApplication application = PaymentApplication.application();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> application.run("--spring.main.web-application-type=none",
                "--payment.reconciliation.enabled=false", "--payment.channel.merchant-private-key=",
                "--payment.channel.channel-public-key=", "--tally.consumer.enabled=false", "--tally.outbox.enabled=false",
                "--spring.datasource.url=" + io.tally.testing.TestInfrastructure.servers()
                    .jdbcUrl(io.tally.testing.TestInfrastructure.newDatabase()),
                "--spring.datasource.username=" + io.tally.testing.TestInfrastructure.servers().dbUser(),
                "--spring.datasource.password=" + io.tally.testing.TestInfrastructure.servers().dbPassword(),
                "--spring.security.user.password=x"))
            .hasStackTraceContaining("Set payment.channel.").hasStackTraceContaining("to the location of a PEM key");
    }
}
