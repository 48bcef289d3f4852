package io.tally.flow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP contract each service publishes as OpenAPI (a public and an operator group, at springdoc's usual paths),
 * and the event contracts beside it (AsyncAPI and JSON Schemas under /contracts/).
 */
class PublishedContractTests {

    private final FlowFixtures system = FlowFixtures.system();

    @AfterAll
    static void releaseTheSystem() {
        FlowFixtures.release(FlowFixtures.system());
    }

    @Test
    void eachServicePublishesItsPublicAndOperatorApis() {
        Map<String, String> services = Map.of("order-service", this.system.orderUrl, "inventory-service",
                this.system.inventoryUrl, "payment-service", this.system.paymentUrl);
        services.forEach((name, url) -> {
            JsonNode publicApi = get(url + "/v3/api-docs/public").body();
            JsonNode operatorApi = get(url + "/v3/api-docs/operator").body();
            assertThat(publicApi.path("openapi").asString()).as(name).startsWith("3.");
            assertThat(publicApi.at("/info/title").asString()).isEqualTo(name);
            assertThat(publicApi.path("paths").propertyNames()).as(name + " public paths")
                .isNotEmpty().noneMatch(path -> path.startsWith("/api/admin"));
            assertThat(operatorApi.path("paths").propertyNames()).as(name + " operator paths")
                .contains("/api/admin/dead-letters", "/api/admin/dead-letters/{id}/replay")
                .allMatch(path -> path.startsWith("/api/admin") || path.startsWith("/api/stock"));
            assertThat(operations(operatorApi)).as(name + ": every operator operation asks for the operator")
                .allMatch(op -> op.path("security").toString().contains("operator"));
            assertThat(operatorApi.at("/components/securitySchemes/operator/scheme").asString()).isEqualTo("basic");
            assertThat(get(url + "/swagger-ui/index.html").status()).as(name + " Swagger UI").isEqualTo(200);
            assertThat(get(url + "/contracts/asyncapi.yaml").raw().body()).as(name + " AsyncAPI")
                .startsWith("# The events").contains("asyncapi: 3.0.0");
            assertThat(get(url + "/contracts/events/order.created.v1.schema.json").body().path("title").asString())
                .isEqualTo("order.created");
        });
        JsonNode orders = get(this.system.orderUrl + "/v3/api-docs/public").body();
        assertThat(orders.at("/paths/~1api~1orders/post")).as("placing an order").isNotNull();
        assertThat(orders.at("/paths/~1api~1orders~1{orderNo}/get/responses/404").isMissingNode())
            .as("an unknown order's problem is documented").isFalse();
        // inventory: reading stock is public, putting it in is the operator's
        JsonNode inventoryPublic = get(this.system.inventoryUrl + "/v3/api-docs/public").body();
        JsonNode inventoryOperator = get(this.system.inventoryUrl + "/v3/api-docs/operator").body();
        assertThat(inventoryPublic.at("/paths/~1api~1stock~1{sku}").propertyNames()).containsExactly("get");
        assertThat(inventoryOperator.at("/paths/~1api~1stock~1{sku}").propertyNames()).containsExactly("put");
    }

    private static List<JsonNode> operations(JsonNode api) {
        List<JsonNode> operations = new ArrayList<>();
        api.path("paths").forEach(item -> item.forEach(operations::add));
        return operations;
    }

    private FlowFixtures.Answer get(String url) {
        FlowFixtures.Answer answer = this.system.send("GET", url, null, Map.of());
        assertThat(answer.status()).as(url).isEqualTo(200);
        return answer;
    }
}
