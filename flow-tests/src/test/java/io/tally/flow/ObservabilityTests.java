package io.tally.flow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What operators see: one order's work across the three services is one trace, and every metric the shipped
 * dashboards and alert rules read is one the services serve.
 */
class ObservabilityTests {

    private static final Path OBSERVABILITY = Path.of("..", "docker", "observability");

    private final FlowFixtures system = FlowFixtures.system();

    private final Invariants invariants = new Invariants(this.system);

    @AfterAll
    static void releaseTheSystem() {
        FlowFixtures.release(FlowFixtures.system());
    }

    @Test
    void anOrdersWorkAcrossTheThreeServicesIsOneTrace() {
        String sku = "trace-" + UUID.randomUUID().toString().substring(0, 8);
        this.invariants.stock(sku, 700, 5);
        // the client's own trace (W3C trace context): the order's work goes on in it, service after service
        String traceId = HexFormat.of().formatHex(randomBytes(16));
        String traceparent = "00-" + traceId + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01";
        FlowFixtures.Answer placed = this.system.send("POST", this.system.orderUrl + "/api/orders",
                Map.of("userId", "tracer", "items", List.of(Map.of("sku", sku, "quantity", 1))),
                Map.of("Idempotency-Key", UUID.randomUUID().toString(), "traceparent", traceparent));
        assertThat(placed.status()).isEqualTo(201);
        String orderNo = placed.body().get("orderNo").asString();
        this.invariants.track(orderNo, "tracer", Map.of(sku, 1));

        // OrderCreated is handled by inventory-service, StockReserved by order-service, and the order's payable
        // event by payment-service: each delivery is a consumer span of the order, in the client's trace
        await().atMost(Duration.ofSeconds(30)).dontCatchUncaughtExceptions().untilAsserted(() -> {
            List<FinishedSpans.Span> consumed = FinishedSpans.tagged("tally.aggregate.id", orderNo);
            assertThat(consumed).extracting(FinishedSpans.Span::application)
                .contains("order-service", "inventory-service", "payment-service");
            assertThat(consumed).extracting(FinishedSpans.Span::traceId).containsOnly(traceId);
        });
        List<FinishedSpans.Span> trace = FinishedSpans.ofTrace(traceId);
        assertThat(trace).as("the request that placed the order is in the trace")
            .anySatisfy(span -> {
                assertThat(span.application()).isEqualTo("order-service");
                assertThat(span.tags().values()).contains("/api/orders");
            });
        assertThat(this.system.status(orderNo)).isEqualTo("AWAITING_PAYMENT");
    }

    @Test
    void everyMetricTheDashboardsAndAlertRulesReadIsServed() throws IOException {
        // an order placed, paid and settled, so the series that appear with work exist
        String sku = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        this.invariants.stock(sku, 900, 5);
        String orderNo = this.invariants.place("metrics", Map.of(sku, 1));
        await().atMost(Duration.ofSeconds(30)).dontCatchUncaughtExceptions()
            .until(() -> "AWAITING_PAYMENT".equals(this.system.status(orderNo)));

        Set<String> referenced = referencedMetrics();
        assertThat(referenced).as("the dashboards and rules were read").hasSizeGreaterThan(25);
        Set<String> served = new HashSet<>();
        for (String url : List.of(this.system.orderUrl, this.system.inventoryUrl, this.system.paymentUrl)) {
            FlowFixtures.Answer scrape = this.system.send("GET", url + "/actuator/prometheus", null,
                    Map.of("Authorization", FlowFixtures.OPERATOR));
            assertThat(scrape.status()).as(url + "/actuator/prometheus").isEqualTo(200);
            String text = scrape.raw().body();
            assertThat(text).as("every series names its application").contains("application=\"");
            text.lines().filter(line -> !line.startsWith("#") && !line.isBlank())
                .map(line -> line.split("[{ ]", 2)[0])
                .forEach(served::add);
        }
        Set<String> missing = new TreeSet<>(referenced);
        missing.removeAll(served);
        // Prometheus' own series, and a gauge that has a series only while a dead letter waits (one per queue)
        missing.removeAll(Set.of("up", "tally_dead_letters_open"));
        assertThat(missing).as("metrics read by docker/observability but served by no service").isEmpty();
    }

    /** Every metric name in the dashboards' queries and the alert rules' expressions. */
    static Set<String> referencedMetrics() throws IOException {
        Pattern name = Pattern.compile("\\b([a-z][a-z0-9_]*(?:_total|_seconds(?:_bucket|_count|_sum|_max)?|_bytes|_usage"
                + "|_active|_pending|_open|_rows|_seconds)|up|tally_[a-z0-9_]+|hikaricp_[a-z_]+|jvm_[a-z_]+|process_[a-z_]+"
                + "|http_server_requests_[a-z_]+)\\b");
        Pattern expr = Pattern.compile("\"expr\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"|^\\s*expr:\\s*(.+)$", Pattern.MULTILINE);
        Set<String> names = new TreeSet<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(OBSERVABILITY)) {
            files = walk.filter(p -> p.toString().endsWith(".json") && p.toString().contains("dashboards")
                    || p.getFileName().toString().equals("tally-alerts.yml")).collect(Collectors.toList());
        }
        assertThat(files).as("dashboards and rules under " + OBSERVABILITY.toAbsolutePath()).hasSizeGreaterThan(1);
        for (Path file : files) {
            Matcher m = expr.matcher(Files.readString(file));
            while (m.find()) {
                String query = (m.group(1) != null ? m.group(1) : m.group(2))
                    .replaceAll("\\{[^}]*\\}", " ") // label matchers
                    .replaceAll("\\[[^\\]]*\\]", " ") // ranges
                    .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
                Matcher n = name.matcher(query);
                while (n.find()) {
                    names.add(n.group(1));
                }
            }
        }
        return names;
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        ThreadLocalRandom.current().nextBytes(bytes);
        bytes[0] |= 1; // never all zeros, which trace context forbids
        return bytes;
    }
}
