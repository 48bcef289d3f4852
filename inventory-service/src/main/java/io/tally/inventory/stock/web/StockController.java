package io.tally.inventory.stock.web;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;

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
    StockLevel get(@PathVariable String sku) {
        return this.stock.level(sku)
            .orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND, "No SKU " + sku));
    }

    @PutMapping("/{sku}")
    StockLevel put(@PathVariable String sku, @Valid @RequestBody PutStock body) {
        return this.stock.put(sku, body.price(), body.available());
    }

    record PutStock(@NotNull @PositiveOrZero Long price, @NotNull @PositiveOrZero Integer available) {
    }
}
