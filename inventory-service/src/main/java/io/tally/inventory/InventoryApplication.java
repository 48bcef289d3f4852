package io.tally.inventory;

import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The inventory service.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class InventoryApplication {

    /** The name of its configuration file (`inventory-service.yml`), so that the services can share a class path in tests. */
    public static final String CONFIG_NAME = "inventory-service";

    public static void main(String[] args) {
        application().run(args);
    }

    /** The application, reading `inventory-service.yml`. */
    public static SpringApplication application() {
        SpringApplication application = new SpringApplication(InventoryApplication.class);
        application.setDefaultProperties(Map.of("spring.config.name", CONFIG_NAME));
        return application;
    }
}
