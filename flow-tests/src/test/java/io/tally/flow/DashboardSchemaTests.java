package io.tally.flow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboards of the observability profile follow {@code dashboard.schema.json} (a mistake there is an
 * empty or broken panel an operator finds at 3 a.m.); their queries are parsed by Prometheus' own promtool in
 * {@code docker/observability/check.sh}, which CI runs.
 */
class DashboardSchemaTests {

    private static final Path GRAFANA = Path.of("..", "docker", "observability", "grafana");

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void everyDashboardFollowsTheSchema() throws IOException {
        Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(this.json.readTree(GRAFANA.resolve("dashboard.schema.json").toFile()));
        List<Path> dashboards;
        try (Stream<Path> files = Files.list(GRAFANA.resolve("dashboards"))) {
            dashboards = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(dashboards).hasSizeGreaterThanOrEqualTo(3);
        for (Path dashboard : dashboards) {
            List<Error> errors = schema.validate(this.json.readTree(dashboard.toFile()));
            assertThat(errors).as(dashboard.getFileName() + " against dashboard.schema.json").isEmpty();
        }
    }

    @Test
    void theSchemaRefusesABrokenDashboard() throws IOException {
        Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(this.json.readTree(GRAFANA.resolve("dashboard.schema.json").toFile()));
        JsonNode broken = this.json.readTree("""
                {"uid": "Not A Uid", "title": "broken", "schemaVersion": 39,
                 "panels": [{"id": 1, "type": "timeseries", "title": "no query", "gridPos": {"h": 8, "w": 25, "x": 0, "y": 0},
                             "datasource": {"type": "prometheus", "uid": "prometheus"}, "targets": []}]}""");
        assertThat(schema.validate(broken)).extracting(e -> e.getInstanceLocation() + ": " + e.getMessage())
            .anyMatch(m -> m.contains("uid") && m.contains("pattern"))
            .anyMatch(m -> m.contains("gridPos") && m.contains("maximum value of 24"))
            .anyMatch(m -> m.contains("targets") && m.contains("at least 1"));
    }
}
