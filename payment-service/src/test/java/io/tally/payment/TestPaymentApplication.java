package io.tally.payment;

import org.springframework.boot.SpringApplication;

import io.tally.testing.DevRun;
import io.tally.testing.DevServices;

/**
 * payment-service on a database and broker of its own, for development: {@code ./mvnw -pl payment-service
 * spring-boot:test-run}, beside the gateway simulator ({@code ./mvnw -pl gateway-simulator spring-boot:run}, on
 * 127.0.0.1:8090). Unless the environment names other keys, it signs with the repository's marked test keys
 * (config/test-keys, never a deployment's). In containers where Docker answers, on the machine's own servers
 * otherwise ({@link DevServices}).
 */
public final class TestPaymentApplication {

    private TestPaymentApplication() {
    }

    public static void main(String[] args) {
        DevRun.operatorPassword();
        keys("PAYMENT_MERCHANT_PRIVATE_KEY", "payment.channel.merchant-private-key", "merchant-private.pem");
        keys("PAYMENT_CHANNEL_PUBLIC_KEY", "payment.channel.channel-public-key", "channel-public.pem");
        SpringApplication.from(PaymentApplication::main).with(DevServices.class).run(args);
    }

    private static void keys(String variable, String property, String file) {
        if (System.getenv(variable) == null && System.getProperty(property) == null) {
            System.setProperty(property, "file:../config/test-keys/" + file);
        }
    }
}
