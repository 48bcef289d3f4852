package io.tally.order;

import org.springframework.boot.SpringApplication;

import io.tally.testing.DevRun;
import io.tally.testing.DevServices;

/**
 * order-service on a database and broker of its own, for development: {@code ./mvnw -pl order-service
 * spring-boot:test-run}. In containers where Docker answers, on the machine's own servers otherwise
 * ({@link DevServices}).
 */
public final class TestOrderApplication {

    private TestOrderApplication() {
    }

    public static void main(String[] args) {
        DevRun.operatorPassword();
        SpringApplication.from(OrderApplication::main).with(DevServices.class).run(args);
    }
}
