package io.tally.inventory.stock;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.tally.events.Events.OrderLine;
import io.tally.events.Events.PricedLine;

/**
 * What reserving an order decides, before any row moves: every line, or none. Lines of one SKU are merged;
 * the lines are taken in SKU order (the order their rows are locked in, so two reservations never deadlock);
 * quantities and the total are summed with exact arithmetic, so nothing can wrap around into a small number.
 */
final class Reservation {

    private Reservation() {
    }

    /** The decision: reserve these priced lines for this total, or reject the order for this reason. */
    sealed interface Decision permits Reserve, Reject {
    }

    /** Reserve every line. */
    record Reserve(List<PricedLine> lines, long total) implements Decision {
    }

    /**
     * Reserve nothing.
     * @param reason {@code INVALID_QUANTITY: <sku>}, {@code UNKNOWN_SKU: <sku>}, {@code INSUFFICIENT_STOCK: <sku>}
     * or {@code AMOUNT_TOO_LARGE: <total>}, the first that applies in SKU order
     */
    record Reject(String reason) implements Decision {
    }

    /** The order's quantities by SKU, in SKU order; {@code null} when a line is invalid (see {@link #decide}). */
    static Map<String, Integer> quantities(List<OrderLine> items) {
        Map<String, Integer> quantities = new TreeMap<>();
        for (OrderLine line : items) {
            if (line.quantity() <= 0) {
                return null;
            }
            quantities.merge(line.sku(), line.quantity(), Math::addExact);
        }
        return quantities;
    }

    /**
     * Decides an order's reservation against the stock as it is now.
     * @param items the order's lines, in any order, a SKU possibly on several lines
     * @param levels the stock of every SKU the order names that exists (an absent one is unknown)
     */
    static Decision decide(List<OrderLine> items, Map<String, StockLevel> levels) {
        Map<String, Integer> quantities;
        try {
            quantities = quantities(items);
        }
        catch (ArithmeticException overflow) {
            return new Reject("INVALID_QUANTITY: the quantities of one SKU add up beyond " + Integer.MAX_VALUE);
        }
        if (quantities == null) {
            OrderLine bad = items.stream().filter(l -> l.quantity() <= 0).findFirst().orElseThrow();
            return new Reject("INVALID_QUANTITY: " + bad.sku());
        }
        List<PricedLine> lines = new ArrayList<>(quantities.size());
        long total = 0;
        for (Map.Entry<String, Integer> line : quantities.entrySet()) {
            StockLevel level = levels.get(line.getKey());
            if (level == null) {
                return new Reject("UNKNOWN_SKU: " + line.getKey());
            }
            if (level.available() < line.getValue()) {
                return new Reject("INSUFFICIENT_STOCK: " + line.getKey());
            }
            try {
                total = Math.addExact(total, Math.multiplyExact(level.price(), (long) line.getValue()));
            }
            catch (ArithmeticException overflow) {
                return new Reject("AMOUNT_TOO_LARGE: the order's total exceeds " + Long.MAX_VALUE + " minor units");
            }
            lines.add(new PricedLine(line.getKey(), line.getValue(), level.price()));
        }
        return new Reserve(List.copyOf(lines), total);
    }
}
