package io.tally.system;

/** The processes of the system, in start order. */
public enum Service {

    GATEWAY("gateway-simulator", 0), INVENTORY("inventory-service", 1), ORDER("order-service", 2),
    PAYMENT("payment-service", 3);

    final String module;

    final int offset;

    Service(String module, int offset) {
        this.module = module;
        this.offset = offset;
    }

    /** The module, as in {@code payment-service}. */
    public String module() {
        return this.module;
    }

    /** The short name, as in {@code payment}: the service's database and application name. */
    public String shortName() {
        return this.module.substring(0, this.module.indexOf('-'));
    }

    /** The three services with a database and a broker, not the simulator. */
    public static java.util.List<Service> withState() {
        return java.util.List.of(INVENTORY, ORDER, PAYMENT);
    }
}
