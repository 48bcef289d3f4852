package io.tally.inventory.stock.web;

import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;

import jakarta.validation.constraints.Size;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

import io.tally.jdbc.SqlTime;

/** An order's reservation as an operator sees it: {@code GET /api/admin/reservations/{orderNo}} (read-only). */
@RestController
@Validated
@RequestMapping("/api/admin/reservations")
class ReservationAdminController {

    private final JdbcClient jdbc;

    ReservationAdminController(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A reservation and its lines. */
    record View(String orderNo, String status, @Nullable Long totalAmount, @Nullable String currency,
            @Nullable String reason, @Nullable Instant createdAt, @Nullable Instant updatedAt, List<Line> lines) {
    }

    /** A reserved line at the price it was charged. */
    record Line(String sku, int quantity, long unitPrice) {
    }

    @GetMapping("/{orderNo}")
    View reservation(@PathVariable @Size(max = 64) String orderNo) {
        List<Line> lines = this.jdbc.sql("SELECT sku, quantity, unit_price FROM reservation_line WHERE order_no = ? ORDER BY sku")
            .param(orderNo)
            .query((rs, n) -> new Line(rs.getString(1), rs.getInt(2), rs.getLong(3)))
            .list();
        return this.jdbc.sql("""
                SELECT order_no, status, total_amount, currency, reason, created_at, updated_at
                FROM reservation WHERE order_no = ?""")
            .param(orderNo)
            .query((rs, n) -> new View(rs.getString(1), rs.getString(2), rs.getObject(3, Long.class), rs.getString(4),
                    rs.getString(5), SqlTime.instant(rs.getObject(6, LocalDateTime.class)),
                    SqlTime.instant(rs.getObject(7, LocalDateTime.class)), lines))
            .optional()
            .orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND, "No reservation of order " + orderNo));
    }
}
