package io.tally.system;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The system test at the build's size ({@code -Dsystem.orders}, 300 by default): real processes, two instances of
 * each service, SIGKILLs of each service, a restart of the run's own broker and of its own database server, channel
 * faults and 100 poison messages published into live queues; every invariant must hold, keep holding,
 * and what must have happened must have happened. A second run breaks payment-service on purpose and must fail.
 */
@org.junit.jupiter.api.extension.ExtendWith(LocalServicesCondition.class)
class SystemTests {

    private static final Path HOME = Path.of(System.getProperty("tally.home", ".."));

    /**
     * Two instances of every service (the load spread over them, one of each killed), the run's own database server
     * stopped for 15 s under load and started again, 100 poison messages; the orders' payments through the
     * simulator's protocol, Alipay and WeChat Pay in turn (verdict 18: each carried payments to success and refund).
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void everyInvariantHoldsAndKeepsHoldingAfterKillsABrokerRestartADatabaseRestartAndChannelFaults() throws Exception {
        SystemRun.Report report = SystemRun.run(HOME, new SystemRun.Config(Integer.getInteger("system.orders", 300), 16, true)
            .withScale(2, 1)
            .withScenarios(java.util.Set.of(SystemRun.Scenario.POISON, SystemRun.Scenario.DATABASE_RESTART)));
        System.out.println(report.text());
        assertThat(report.chaos()).as("kills, the broker restart and the database restart").hasSize(5);
        assertThat(report.faults()).as("fault settings acknowledged, and the poison messages published").hasSize(6);
        assertThat(report.verdicts())
            .as("11 invariants, the poison, the database restart, the work done once, the answers, every channel")
            .hasSize(16).allSatisfy(verdict -> assertThat(verdict.holds())
            .as("%s: %s", verdict.invariant(), verdict.figure()).isTrue());
    }

    /**
     * payment-service is killed at its turn and never started again: the run must not pass. Users' payments
     * cannot be created, and the service is down at the end; the checks must say so rather than take a dead
     * service's silence for "nothing to check".
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aRunWhosePaymentServiceNeverComesBackAfterItsKillFails() throws Exception {
        SystemRun.Report report = SystemRun.run(HOME, new SystemRun.Config(80, 16, true)
            .withSabotage(SystemRun.Sabotage.PAYMENT_STAYS_DOWN, Duration.ofSeconds(45)));
        System.out.println(report.text());
        assertThat(report.holds()).as("the sabotaged run passes").isFalse();
        assertBroken(report, "8.");
        assertBroken(report, "11.");
    }

    /**
     * payment-service cannot reach the channel, so it takes no money: every order times out, nothing is kept and
     * nothing is wrong with the money, which is why the safety invariants alone pass such a run. What must have
     * happened did not: no payment was created, no PAY plan ended PAID, no fault was applied.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aRunWhosePaymentServiceTakesNoMoneyFails() throws Exception {
        SystemRun.Report report = SystemRun.run(HOME, new SystemRun.Config(40, 16, false)
            .withSabotage(SystemRun.Sabotage.PAYMENT_TAKES_NO_MONEY, Duration.ofSeconds(45)));
        System.out.println(report.text());
        assertThat(report.holds()).as("the sabotaged run passes").isFalse();
        assertBroken(report, "8.");
        assertBroken(report, "9.");
        assertBroken(report, "10.");
    }

    private static void assertBroken(SystemRun.Report report, String invariant) {
        assertThat(report.verdicts()).filteredOn(v -> v.invariant().startsWith(invariant))
            .singleElement().satisfies(v -> assertThat(v.holds()).as(v.figure()).isFalse());
    }
}
