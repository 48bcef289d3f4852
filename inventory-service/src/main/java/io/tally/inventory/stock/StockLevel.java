package io.tally.inventory.stock;

/** A SKU's price (minor units) and its stock: {@code available + reserved + sold} is what was put in. */
public record StockLevel(String sku, long price, String currency, int available, int reserved, int sold) {
}
