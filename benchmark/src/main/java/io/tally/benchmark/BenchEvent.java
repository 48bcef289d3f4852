package io.tally.benchmark;

import io.tally.contract.EventType;

/** The event the benchmark publishes: about the size of an {@code order.created}. */
@EventType(name = "bench.happened", exchange = "bench.events")
public record BenchEvent(String orderNo, String userId, long amount, String currency, String note) {
}
