package io.tally.events;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import io.tally.contract.EventDescriptor;
import io.tally.contract.EventType;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON Schemas published under {@code /contracts/events/} are those of the event classes: generated from them
 * (run with {@code -Dcontracts.write=true} to write them after a change), and a serialized event of each type
 * follows its schema while a broken one does not.
 */
class EventSchemasTests {

    static final Path EVENTS = Path.of("src", "main", "resources", "static", "contracts", "events");

    private final JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    static List<EventDescriptor> events() {
        return Arrays.stream(Events.class.getDeclaredClasses())
            .filter(type -> type.isAnnotationPresent(EventType.class))
            .map(EventDescriptor::of)
            .sorted(java.util.Comparator.comparing(EventDescriptor::name))
            .toList();
    }

    static String fileName(EventDescriptor event) {
        return event.name() + ".v" + event.version() + ".schema.json";
    }

    @Test
    void thePublishedSchemasAreGeneratedFromTheEventClasses() throws IOException {
        boolean write = Boolean.getBoolean("contracts.write");
        List<String> stale = new ArrayList<>();
        for (EventDescriptor event : events()) {
            String generated = this.json.writeValueAsString(schema(event)) + "\n";
            Path file = EVENTS.resolve(fileName(event));
            if (write) {
                Files.writeString(file, generated);
            }
            if (!Files.exists(file) || !Files.readString(file).equals(generated)) {
                stale.add(file.toString());
            }
        }
        assertThat(stale).as("schemas that differ from their classes: run this test with -Dcontracts.write=true "
                + "and commit what it writes (a change that is not additive needs a new schema version)").isEmpty();
        Set<String> published;
        try (Stream<Path> files = Files.list(EVENTS)) {
            published = files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        assertThat(published).as("no schema of an event that no longer exists")
            .isEqualTo(events().stream().map(EventSchemasTests::fileName).collect(Collectors.toCollection(TreeSet::new)));
    }

    @Test
    void aSerializedEventOfEveryTypeFollowsItsSchemaAndABrokenOneDoesNot() throws IOException {
        Instant at = Instant.parse("2026-12-06T10:15:30.123Z");
        List<Object> samples = List.of(
                new Events.OrderCreated("O-1", "alice", List.of(new Events.OrderLine("SKU-1", 2))),
                new Events.StockReserved("O-1", List.of(new Events.PricedLine("SKU-1", 2, 1250)), 2500, "CNY"),
                new Events.StockRejected("O-1", "OUT_OF_STOCK"),
                new Events.OrderAwaitingPayment("O-1", 2500, "CNY", at),
                new Events.PaymentSucceeded("P-1", "O-1", 2500, "T-1", at), new Events.OrderPaid("O-1", "P-1"),
                new Events.OrderCancelled("O-1", "USER"), new Events.PaymentRefunded("P-1", "O-1", "P-1-R1", 2500),
                new Events.PaymentAbnormal("P-1", "O-1", "amount 2400, expected 2500"));
        assertThat(samples).extracting(Object::getClass).containsExactlyInAnyOrderElementsOf(
                events().stream().<Class<?>>map(EventDescriptor::eventClass).toList());
        JsonMapper plain = JsonMapper.builder().build();
        for (Object sample : samples) {
            Schema schema = published(EventDescriptor.of(sample.getClass()));
            JsonNode body = plain.readTree(plain.writeValueAsString(sample));
            assertThat(schema.validate(body)).as(sample.getClass().getSimpleName()).isEmpty();
        }

        Schema created = published(EventDescriptor.of(Events.OrderCreated.class));
        ObjectNode withoutOrder = (ObjectNode) plain.readTree("""
                {"userId": "alice", "items": [{"sku": "SKU-1", "quantity": 2.5}]}""");
        assertThat(created.validate(withoutOrder)).extracting(e -> e.getInstanceLocation() + " " + e.getMessage())
            .anyMatch(m -> m.contains("orderNo"))
            .anyMatch(m -> m.contains("quantity") && m.contains("integer"));
    }

    private Schema published(EventDescriptor event) throws IOException {
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(this.json.readTree(EVENTS.resolve(fileName(event)).toFile()));
    }

    private static JsonNode schema(EventDescriptor event) {
        SchemaGeneratorConfigBuilder config = new SchemaGeneratorConfigBuilder(SchemaVersion.DRAFT_2020_12,
                OptionPreset.PLAIN_JSON)
            .with(Option.EXTRA_OPEN_API_FORMAT_VALUES, Option.DEFINITIONS_FOR_ALL_OBJECTS);
        // every component of an event record is present and not null
        config.forFields().withRequiredCheck(field -> true);
        config.forTypesInGeneral()
            .withIdResolver(scope -> scope.getType().getErasedType() == event.eventClass()
                    ? "https://tally.example/contracts/events/" + fileName(event) : null)
            .withTitleResolver(scope -> scope.getType().getErasedType() == event.eventClass() ? event.name() : null)
            .withDescriptionResolver(scope -> scope.getType().getErasedType() == event.eventClass()
                    ? "Event '" + event.name() + "', schema version " + event.version() + ", published to the exchange '"
                            + event.exchange() + "' with the routing key '" + event.name() + "'"
                    : null);
        return new SchemaGenerator(config.build()).generateSchema(event.eventClass());
    }
}
