package io.tally.testing;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Properties for a service under test: a database and broker names of its own (deleted when its context
 * closes), and operator credentials made up for the test.
 */
public final class ServiceTestProperties {

    /** The operator password the tests use; never a deployment's. */
    public static final String OPERATOR_PASSWORD = "test-only-operator-password";

    private ServiceTestProperties() {
    }

    /** Registers the infrastructure, a broker prefix and test operator credentials. */
    public static void register(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
        String prefix = TestInfrastructure.newBrokerPrefix();
        registry.add("tally.topology.prefix", () -> prefix);
        registry.add("tally.topology.delete-on-close", () -> "true");
        registry.add("spring.security.user.password", () -> OPERATOR_PASSWORD);
    }
}
