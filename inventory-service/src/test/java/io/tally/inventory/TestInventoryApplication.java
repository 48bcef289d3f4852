package io.tally.inventory;

import org.springframework.boot.SpringApplication;

import io.tally.testing.DevRun;
import io.tally.testing.DevServices;

/**
 * inventory-service on a database and broker of its own, for development: {@code ./mvnw -pl inventory-service
 * spring-boot:test-run}. In containers where Docker answers, on the machine's own servers otherwise
 * ({@link DevServices}).
 */
public final class TestInventoryApplication {

    private TestInventoryApplication() {
    }

    public static void main(String[] args) {
        DevRun.operatorPassword();
        SpringApplication.from(InventoryApplication::main).with(DevServices.class).run(args);
    }
}
