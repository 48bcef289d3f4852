package io.tally.payment;

import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The payment service.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class PaymentApplication {

    /** The name of its configuration file (`payment-service.yml`), so that the services can share a class path in tests. */
    public static final String CONFIG_NAME = "payment-service";

    public static void main(String[] args) {
        application().run(args);
    }

    /** The application, reading `payment-service.yml`. */
    public static SpringApplication application() {
        SpringApplication application = new SpringApplication(PaymentApplication.class);
        application.setDefaultProperties(Map.of("spring.config.name", CONFIG_NAME));
        return application;
    }
}
