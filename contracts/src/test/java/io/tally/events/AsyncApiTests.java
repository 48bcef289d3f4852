package io.tally.events;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import io.tally.contract.EventDescriptor;

import static org.assertj.core.api.Assertions.assertThat;

/** The AsyncAPI document names every event with its exchange, routing key, schema and publisher, and no other. */
class AsyncApiTests {

    private static final Path CONTRACTS = Path.of("src", "main", "resources", "static", "contracts");

    @Test
    void everyEventIsAChannelOnItsExchangeWithItsSchemaAndOnePublisher() throws IOException {
        JsonNode api = new YAMLMapper().readTree(CONTRACTS.resolve("asyncapi.yaml").toFile());
        assertThat(api.path("asyncapi").asString()).isEqualTo("3.0.0");
        Set<String> channels = new TreeSet<>(api.path("channels").propertyNames());
        Set<String> events = new TreeSet<>(EventSchemasTests.events().stream().map(EventDescriptor::name).toList());
        assertThat(channels).isEqualTo(events);
        for (EventDescriptor event : EventSchemasTests.events()) {
            JsonNode channel = api.path("channels").path(event.name());
            assertThat(channel.path("address").asString()).as(event.name() + " routing key").isEqualTo(event.name());
            assertThat(channel.at("/bindings/amqp/exchange/name").asString()).as(event.name() + " exchange")
                .isEqualTo(event.exchange());
            JsonNode message = api.at("/components/messages/" + event.name().replace("/", "~1"));
            String payload = message.at("/payload/$ref").asString();
            assertThat(payload).isEqualTo("events/" + EventSchemasTests.fileName(event));
            assertThat(CONTRACTS.resolve(payload)).as("the schema it names is published").exists();
            long publishers = api.path("operations").properties().stream()
                .filter(op -> op.getValue().path("action").asString().equals("send"))
                .filter(op -> op.getValue().at("/channel/$ref").asString().equals("#/channels/" + event.name()))
                .count();
            assertThat(publishers).as(event.name() + " has one publishing service").isEqualTo(1);
        }
        assertThat(Files.readString(CONTRACTS.resolve("asyncapi.yaml"))).doesNotContain("\t");
    }
}
