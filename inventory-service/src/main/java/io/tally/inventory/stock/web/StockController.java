package io.tally.inventory.stock.web;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

import io.tally.inventory.stock.Stock;
import io.tally.inventory.stock.StockLevel;

/** {@code GET /api/stock/{sku}} for everyone; {@code PUT /api/stock/{sku}} for operators. */
@RestController
@RequestMapping("/api/stock")
class StockController {

    private final Stock stock;

    StockController(Stock stock) {
        this.stock = stock;
    }

    @GetMapping("/{sku}")
    StockLevel get(@PathVariable @Size(max = 64) String sku) {
        return this.stock.level(sku)
            .orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND, "No SKU " + sku));
    }

    @PutMapping("/{sku}")
    StockLevel put(@PathVariable @Size(max = 64) @Pattern(regexp = "\\S+", message = "must not hold white space") String sku,
            @Valid @RequestBody PutStock body) {
        return this.stock.put(sku, body.price(), body.available());
    }

    /**
     * @param price in minor units, at most 10^12 (so that a line of the most units an order may ask for still sums
     * exactly)
     * @param available units on hand, at most 10^9
     */
    record PutStock(@NotNull @PositiveOrZero @Max(1_000_000_000_000L) Long price,
            @NotNull @PositiveOrZero @Max(1_000_000_000) Integer available) {
    }
}
