package io.tally.inventory.stock;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Inventory settings.
 *
 * @param currency the ISO-4217 currency of prices
 */
@ConfigurationProperties("inventory")
public record InventoryProperties(@DefaultValue("CNY") String currency) {
}
