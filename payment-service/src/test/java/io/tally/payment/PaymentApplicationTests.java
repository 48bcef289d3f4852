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

    /**
     * The simulator's protocol can be turned off: payment-service then starts with WeChat Pay alone (and the keys of
     * that channel only), and a payment request naming the simulator is a request for a channel not enabled here.
     */
    @Test
    void startsWithTheSimulatorsProtocolTurnedOffAndAnotherChannelTheDefault() {
        String database = io.tally.testing.TestInfrastructure.newDatabase();
        try (org.springframework.context.ConfigurableApplicationContext context = PaymentApplication.application().run(
                "--spring.main.web-application-type=none", "--payment.reconciliation.enabled=false",
                "--payment.channel.enabled=false", "--payment.channel.merchant-private-key=",
                "--payment.channel.channel-public-key=", "--payment.default-channel=wechat",
                "--payment.wechat.enabled=true", "--payment.wechat.mchid=1900000001",
                "--payment.wechat.appid=wx0000000000000001", "--payment.wechat.merchant-serial-number=5157F09E",
                "--payment.wechat.merchant-private-key=file:../config/test-keys/merchant-private.pem",
                "--payment.wechat.public-key-id=PUB_KEY_ID_01", "--payment.wechat.public-key=file:../config/test-keys/channel-public.pem",
                "--payment.wechat.api-v3-key=0123456789abcdef0123456789abcdef",
                "--tally.consumer.enabled=false", "--tally.outbox.enabled=false",
                "--spring.datasource.url=" + io.tally.testing.TestInfrastructure.servers().jdbcUrl(database),
                "--spring.datasource.username=" + io.tally.testing.TestInfrastructure.servers().dbUser(),
                "--spring.datasource.password=" + io.tally.testing.TestInfrastructure.servers().dbPassword(),
                "--spring.security.user.password=x")) {
            io.tally.payment.channel.Channels channels = context.getBean(io.tally.payment.channel.Channels.class);
            assertThat(channels.all()).extracting(io.tally.payment.channel.PaymentChannel::name).containsExactly("wechat");
            assertThat(channels.named(null).name()).isEqualTo("wechat");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> channels.named("simulator"))
                .isInstanceOf(io.tally.payment.channel.UnknownChannelException.class);
        }
    }
}
