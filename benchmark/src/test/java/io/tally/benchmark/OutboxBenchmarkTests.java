package io.tally.benchmark;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.tally.testing.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark at a tiny size: every phase measures something (a benchmark that silently measured nothing
 * would print zeros), and the run removes its database. Its figures are read from real runs, not from here.
 */
class OutboxBenchmarkTests {

    @Test
    void aSmallRunMeasuresEveryPhaseAndRemovesItsDatabase() throws Exception {
        TestInfrastructure.Servers servers = TestInfrastructure.servers();
        OutboxBenchmark benchmark = new OutboxBenchmark(Map.ofEntries(Map.entry("rows", "2000"),
                Map.entry("seconds", "2"), Map.entry("producers", "2"), Map.entry("workers", "2"),
                Map.entry("batch", "200"), Map.entry("consumers", "2"),
                Map.entry("db-url", servers.jdbcUrl("").substring(0, servers.jdbcUrl("").indexOf('?'))),
                Map.entry("db-user", servers.dbUser()), Map.entry("db-password", servers.dbPassword()),
                Map.entry("rabbit-host", servers.rabbitHost()), Map.entry("rabbit-port", Integer.toString(servers.rabbitPort())),
                Map.entry("rabbit-user", servers.rabbitUser()), Map.entry("rabbit-password", servers.rabbitPassword()),
                Map.entry("progress", "500ms")));

        // the progress lines go to standard error beside the figures: kept here as well as shown
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream original = System.err;
        System.setErr(new java.io.PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                synchronized (err) {
                    err.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                synchronized (err) {
                    err.write(b, off, len);
                }
            }
        }, true));
        List<String> report;
        try {
            report = benchmark.run();
        }
        finally {
            System.setErr(original);
        }
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8).lines()
            .filter(line -> line.startsWith("[outbox-benchmark ")))
            .as("progress lines, each with the phase, what was published and consumed, and the outbox's backlog")
            .hasSizeGreaterThan(3)
            .allMatch(line -> line.matches("\\[outbox-benchmark [a-z-]+ \\+\\d+(s|m\\d\\ds)\\] published [\\d,]+ \\([\\d,]+/s\\), "
                    + "consumed [\\d,]+, outbox rows PENDING .+"));

        assertThat(rate(report, "drain:")).isPositive();
        assertThat(rate(report, "consume:")).isPositive();
        assertThat(rate(report, "baseline:")).isPositive();
        assertThat(rate(report, "sustained:")).isPositive();
        assertThat(rate(report, "half rate")).isPositive();
        assertThat(rate(report, "raw JDBC:")).isPositive();
        assertThat(report).anyMatch(line -> line.contains("(2000 messages, dedup row + effect row each, 2000 effects"));
        assertThat(report).anyMatch(line -> line.contains("commit-to-confirm p50"));
        // the peer, with and without confirms: every publication drained and completed, both phases measured
        assertThat(report.stream().filter(line -> line.startsWith("peer drain:"))).hasSize(2)
            .allMatch(line -> line.contains("(2000 publications resubmitted)"));
        assertThat(rate(report, "peer drain:")).isPositive();
        assertThat(rate(report, "peer sustained:")).isPositive();
        assertThat(rate(report, "peer half rate")).isPositive();
        assertThat(report).anyMatch(line -> line.startsWith("side by side"));
        try (Connection connection = TestInfrastructure.adminConnection();
                ResultSet rs = connection.createStatement().executeQuery(
                        "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '" + benchmark.database() + "%'")) {
            rs.next();
            assertThat(rs.getInt(1)).as("the benchmark's databases, its own and the peer's, are dropped").isZero();
        }
    }

    @Test
    void aSmallScaleRunMeasuresEveryFigureAtEachSize() throws Exception {
        TestInfrastructure.Servers servers = TestInfrastructure.servers();
        OutboxBenchmark benchmark = new OutboxBenchmark(Map.ofEntries(Map.entry("scale", "true"),
                Map.entry("scale-sizes", "4000"), Map.entry("scale-purge-rows", "2000"),
                Map.entry("db-url", servers.jdbcUrl("").substring(0, servers.jdbcUrl("").indexOf('?'))),
                Map.entry("db-user", servers.dbUser()), Map.entry("db-password", servers.dbPassword()),
                Map.entry("rabbit-host", servers.rabbitHost()), Map.entry("rabbit-port", Integer.toString(servers.rabbitPort())),
                Map.entry("rabbit-user", servers.rabbitUser()), Map.entry("rabbit-password", servers.rabbitPassword())));

        List<String> report = benchmark.run();

        for (String size : List.of("0", "4,000")) {
            String line = report.stream().filter(l -> l.startsWith("scale at " + size + " rows:")).findFirst()
                .orElseThrow(() -> new AssertionError("no figures at " + size + " rows in " + report));
            Matcher figures = Pattern.compile("claim p50 ([0-9,]+) us p99 ([0-9,]+) us; insert p99 ([0-9,]+) us during a purge"
                    + " of ([0-9,]+) rows/s; gauge refresh p50 ([0-9,]+) us").matcher(line);
            assertThat(figures.find()).as(line).isTrue();
            for (int group = 1; group <= 5; group++) {
                assertThat(Long.parseLong(figures.group(group).replace(",", ""))).as(line).isPositive();
            }
        }
        assertThat(report).anyMatch(line -> line.contains("ratio largest/0"));
    }

    /** The first figure of the line that starts with the label. */
    private static double rate(List<String> report, String label) {
        String line = report.stream().filter(l -> l.startsWith(label)).findFirst()
            .orElseThrow(() -> new AssertionError("no '" + label + "' line in " + report));
        Matcher number = Pattern.compile("([0-9][0-9,]*(\\.[0-9]+)?)").matcher(line.substring(label.length()));
        assertThat(number.find()).as(line).isTrue();
        return Double.parseDouble(number.group(1).replace(",", ""));
    }
}
