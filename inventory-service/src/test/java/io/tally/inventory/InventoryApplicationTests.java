package io.tally.inventory;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.tally.outbox.Outbox;
import io.tally.testing.ServiceTestProperties;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(properties = "spring.config.name=inventory-service")
class InventoryApplicationTests {

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        ServiceTestProperties.register(registry);
    }

    @Test
    void startsWithTheCapabilitiesOfCommonFromConfigurationAlone(@Autowired Outbox outbox, @Autowired JdbcTemplate jdbc) {
        assertThat(outbox).isNotNull();
        assertThat(jdbc.queryForList("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()",
                String.class)).map(String::toLowerCase)
            .contains("tally_outbox", "tally_inbox", "tally_dead_letter", "tally_idempotent_request");
    }

    /**
     * order.cancelled and order.created travel on different queues: a cancel that arrives first leaves a mark,
     * so that the late order.created reserves nothing and publishes nothing.
     */
    @Test
    void aCancelThatOvertakesItsOrderKeepsTheLateOrderFromReserving(@Autowired io.tally.inventory.stock.Stock stock,
            @Autowired JdbcTemplate jdbc, @Autowired org.springframework.transaction.support.TransactionTemplate transaction) {
        String sku = "SKU-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        String orderNo = "O-overtaken-" + sku;
        stock.put(sku, 100, 5);

        stock.release(orderNo);
        stock.reserve(orderNo, java.util.List.of(new io.tally.events.Events.OrderLine(sku, 2)));

        assertThat(stock.level(sku)).hasValueSatisfying(level -> {
            assertThat(level.available()).isEqualTo(5);
            assertThat(level.reserved()).isZero();
        });
        assertThat(jdbc.queryForObject("SELECT status FROM reservation WHERE order_no = ?", String.class, orderNo))
            .isEqualTo("RELEASED");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM tally_outbox WHERE aggregate_id = ?", Integer.class, orderNo))
            .as("no stock.reserved, no stock.rejected").isZero();
    }

    /** SKUs are byte-exact: one that differs from another only in letter case is another SKU, not the same one. */
    @Test
    void skusThatDifferOnlyInLetterCaseAreDifferentSkus(@Autowired io.tally.inventory.stock.Stock stock) {
        String sku = "SKU-" + java.util.UUID.randomUUID().toString().substring(0, 8).toUpperCase(java.util.Locale.ROOT);
        String lower = sku.toLowerCase(java.util.Locale.ROOT);
        stock.put(sku, 100, 5);

        stock.put(lower, 200, 7);

        assertThat(stock.level(sku)).hasValueSatisfying(level -> assertThat(level.available()).isEqualTo(5));
        assertThat(stock.level(lower)).hasValueSatisfying(level -> assertThat(level.available()).isEqualTo(7));
    }

    /** An order holding two SKUs that differ only in letter case reserves each of them, once. */
    @Test
    void anOrderOfTwoSkusThatDifferOnlyInLetterCaseReservesEach(@Autowired io.tally.inventory.stock.Stock stock,
            @Autowired JdbcTemplate jdbc) {
        String sku = "SKU-" + java.util.UUID.randomUUID().toString().substring(0, 8).toUpperCase(java.util.Locale.ROOT);
        String lower = sku.toLowerCase(java.util.Locale.ROOT);
        String orderNo = "O-cases-" + sku;
        stock.put(sku, 100, 5);
        stock.put(lower, 200, 7);

        stock.reserve(orderNo, java.util.List.of(new io.tally.events.Events.OrderLine(sku, 2),
                new io.tally.events.Events.OrderLine(lower, 3)));

        assertThat(jdbc.queryForObject("SELECT status FROM reservation WHERE order_no = ?", String.class, orderNo))
            .isEqualTo("RESERVED");
        assertThat(stock.level(sku)).hasValueSatisfying(level -> assertThat(level.reserved()).isEqualTo(2));
        assertThat(stock.level(lower)).hasValueSatisfying(level -> assertThat(level.reserved()).isEqualTo(3));
    }
}
