package io.tally.system;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The system test at the build's size ({@code -Dsystem.orders}, 300 by default): real processes, SIGKILLs of
 * each service, a broker restart and channel faults; every invariant of DESIGN section 8 must hold.
 */
class SystemTests {

    @Test
    void everyInvariantHoldsAfterKillsABrokerRestartAndChannelFaults() throws Exception {
        SystemRun.Report report = SystemRun.run(Path.of(System.getProperty("tally.home", "..")),
                new SystemRun.Config(Integer.getInteger("system.orders", 300), 16, 28081, true));
        System.out.println(report.text());
        assertThat(report.chaos()).hasSize(4);
        assertThat(report.verdicts()).hasSize(6).allSatisfy(verdict -> assertThat(verdict.holds())
            .as("%s: %s", verdict.invariant(), verdict.figure()).isTrue());
    }
}
