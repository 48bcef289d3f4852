package io.tally.system;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The story {@code ./demo} tells, on the services as local processes (free ports, the machine's broker, which
 * the demo never restarts): every step happens as told (each waits for its outcome, bounded) and every
 * invariant holds at the end.
 */
@org.junit.jupiter.api.extension.ExtendWith(LocalServicesCondition.class)
class DemoTests {

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void theDemoStoryHappensAsToldAndEndsWithEveryInvariantHolding() throws Exception {
        assertThat(Demo.run(Path.of(System.getProperty("tally.home", "..")), 0, Cluster.CHANNELS)).as("the demo's invariants").isTrue();
    }
}
