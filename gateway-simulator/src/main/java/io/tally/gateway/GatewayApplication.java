package io.tally.gateway;

import java.time.Clock;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Bean;

/**
 * A stand-in for the third-party payment channel: trades, payments, callbacks, refunds and faults.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class GatewayApplication {

    /** The name of its configuration file ({@code gateway-simulator.yml}). */
    public static final String CONFIG_NAME = "gateway-simulator";

    public static void main(String[] args) {
        application().run(args);
    }

    /** The application, reading {@code gateway-simulator.yml}. */
    public static SpringApplication application() {
        SpringApplication application = new SpringApplication(GatewayApplication.class);
        application.setDefaultProperties(Map.of("spring.config.name", CONFIG_NAME));
        return application;
    }

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }
}
