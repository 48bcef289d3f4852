package io.tally.order;

import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The order service.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class OrderApplication {

    /** The name of its configuration file (`order-service.yml`), so that the services can share a class path in tests. */
    public static final String CONFIG_NAME = "order-service";

    public static void main(String[] args) {
        application().run(args);
    }

    /** The application, reading `order-service.yml`. */
    public static SpringApplication application() {
        SpringApplication application = new SpringApplication(OrderApplication.class);
        application.setDefaultProperties(Map.of("spring.config.name", CONFIG_NAME));
        return application;
    }
}
