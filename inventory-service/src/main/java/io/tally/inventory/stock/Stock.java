package io.tally.inventory.stock;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.tally.events.Events.OrderLine;
import io.tally.events.Events.PricedLine;
import io.tally.events.Events.StockRejected;
import io.tally.events.Events.StockReserved;
import io.tally.jdbc.SqlTime;
import io.tally.outbox.Outbox;

/**
 * Stock reservation per order. Every change of a SKU's counts is a conditional update, so stock never goes
 * negative and a reservation is committed or released at most once, in whatever order the events arrive.
 */
@Service
public class Stock {

    private static final Logger log = LoggerFactory.getLogger(Stock.class);

    static final String RESERVE = """
            UPDATE sku SET available = available - :quantity, reserved = reserved + :quantity, updated_at = :now
            WHERE sku = :sku AND available >= :quantity""";

    static final String UNRESERVE = """
            UPDATE sku SET available = available + :quantity, reserved = reserved - :quantity, updated_at = :now
            WHERE sku = :sku AND reserved >= :quantity""";

    static final String SELL = """
            UPDATE sku SET reserved = reserved - :quantity, sold = sold + :quantity, updated_at = :now
            WHERE sku = :sku AND reserved >= :quantity""";

    /** The SKUs' rows, locked until the end of the transaction, in SKU order (the primary key's). */
    static final String LOCK_LEVELS = """
            SELECT sku, price, currency, available, reserved, sold FROM sku WHERE sku IN (:skus) ORDER BY sku FOR UPDATE""";

    static final String MOVE_RESERVATION = """
            UPDATE reservation SET status = :to, updated_at = :now WHERE order_no = :orderNo AND status = :from""";

    private final JdbcClient jdbc;

    private final Outbox outbox;

    private final Clock clock;

    private final InventoryProperties properties;

    Stock(JdbcClient jdbc, Outbox outbox, Clock clock, InventoryProperties properties) {
        this.jdbc = jdbc;
        this.outbox = outbox;
        this.clock = clock;
        this.properties = properties;
    }

    /**
     * Reserves every line of an order, or none; publishes {@code stock.reserved} or {@code stock.rejected}. The
     * SKUs' rows are locked in SKU order, the decision is made on what they hold ({@link Reservation}), and each
     * count then moves by a conditional update.
     */
    @Transactional
    public void reserve(String orderNo, List<OrderLine> items) {
        if (reservation(orderNo).isPresent()) {
            log.debug("Order {} already has a reservation (or was cancelled first): nothing to reserve", orderNo);
            return;
        }
        String now = SqlTime.of(this.clock.instant());
        Map<String, StockLevel> levels = new TreeMap<>();
        try {
            Map<String, Integer> quantities = Reservation.quantities(items);
            if (quantities != null && !quantities.isEmpty()) {
                this.jdbc.sql(LOCK_LEVELS).param("skus", List.copyOf(quantities.keySet())).query(StockLevel.class).list()
                    .forEach(level -> levels.put(level.sku(), level));
            }
        }
        catch (ArithmeticException overflow) {
            // decided below
        }
        switch (Reservation.decide(items, levels)) {
            case Reservation.Reject reject -> reject(orderNo, reject.reason(), now);
            case Reservation.Reserve reserve -> {
                for (PricedLine line : reserve.lines()) {
                    requireOne(this.jdbc.sql(RESERVE).param("quantity", line.quantity()).param("sku", line.sku())
                        .param("now", now).update(), "reserve", line);
                }
                this.jdbc.sql("""
                        INSERT INTO reservation (order_no, status, total_amount, currency, created_at, updated_at)
                        VALUES (?, 'RESERVED', ?, ?, ?, ?)""")
                    .params(orderNo, reserve.total(), this.properties.currency(), now, now).update();
                for (PricedLine line : reserve.lines()) {
                    this.jdbc.sql("INSERT INTO reservation_line (order_no, sku, quantity, unit_price) VALUES (?, ?, ?, ?)")
                        .params(orderNo, line.sku(), line.quantity(), line.unitPrice()).update();
                }
                this.outbox.publish(orderNo,
                        new StockReserved(orderNo, reserve.lines(), reserve.total(), this.properties.currency()));
            }
        }
    }

    /** Sells the reserved stock of a paid order, once. */
    @Transactional
    public void commit(String orderNo) {
        if (!move(orderNo, ReservationStatus.RESERVED, ReservationStatus.COMMITTED)) {
            log.info("Order {} paid, but its reservation is {}: nothing to commit", orderNo,
                    reservation(orderNo).orElse(null));
            return;
        }
        String now = SqlTime.of(this.clock.instant());
        for (PricedLine line : lines(orderNo)) {
            requireOne(this.jdbc.sql(SELL).param("quantity", line.quantity()).param("sku", line.sku()).param("now", now)
                .update(), "sell", line);
        }
    }

    /** Releases the reserved stock of a cancelled order, once; a cancel that comes first blocks the reservation. */
    @Transactional
    public void release(String orderNo) {
        Optional<ReservationStatus> status = reservation(orderNo);
        String now = SqlTime.of(this.clock.instant());
        if (status.isEmpty()) {
            // The cancel overtook order.created (they travel on different queues): remember it, so the order is
            // never reserved. A concurrent reservation makes this insert fail on the key, and the retry sees it.
            this.jdbc.sql("""
                    INSERT INTO reservation (order_no, status, reason, created_at, updated_at)
                    VALUES (?, 'RELEASED', 'cancelled before reservation', ?, ?)""").params(orderNo, now, now).update();
            return;
        }
        if (!move(orderNo, ReservationStatus.RESERVED, ReservationStatus.RELEASED)) {
            log.debug("Order {} cancelled; its reservation is {}: nothing to release", orderNo, status.get());
            return;
        }
        undo(lines(orderNo), now);
    }

    /** A SKU's price and stock. */
    @Transactional(readOnly = true)
    public Optional<StockLevel> level(String sku) {
        return this.jdbc.sql("SELECT sku, price, currency, available, reserved, sold FROM sku WHERE sku = ?")
            .param(sku)
            .query(StockLevel.class)
            .optional();
    }

    /** Sets a SKU's price and available stock (an operator's action). */
    @Transactional
    public StockLevel put(String sku, long price, int available) {
        if (price < 0 || available < 0) {
            throw new IllegalArgumentException("price and available must not be negative");
        }
        String now = SqlTime.of(this.clock.instant());
        this.jdbc.sql("""
                INSERT INTO sku (sku, price, currency, available, updated_at) VALUES (?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE price = VALUES(price), available = VALUES(available),
                    updated_at = VALUES(updated_at)""")
            .params(sku, price, this.properties.currency(), available, now)
            .update();
        return level(sku).orElseThrow();
    }

    private void reject(String orderNo, String reason, String now) {
        this.jdbc.sql("""
                INSERT INTO reservation (order_no, status, reason, created_at, updated_at)
                VALUES (?, 'REJECTED', ?, ?, ?)""").params(orderNo, reason, now, now).update();
        this.outbox.publish(orderNo, new StockRejected(orderNo, reason));
    }

    private void undo(List<PricedLine> lines, String now) {
        for (PricedLine line : lines) {
            requireOne(this.jdbc.sql(UNRESERVE).param("quantity", line.quantity()).param("sku", line.sku())
                .param("now", now).update(), "release", line);
        }
    }

    private boolean move(String orderNo, ReservationStatus from, ReservationStatus to) {
        return this.jdbc.sql(MOVE_RESERVATION).param("to", to.name()).param("from", from.name())
            .param("orderNo", orderNo).param("now", SqlTime.of(this.clock.instant())).update() == 1;
    }

    private Optional<ReservationStatus> reservation(String orderNo) {
        return this.jdbc.sql("SELECT status FROM reservation WHERE order_no = ?")
            .param(orderNo)
            .query((rs, n) -> ReservationStatus.valueOf(rs.getString(1)))
            .optional();
    }

    private List<PricedLine> lines(String orderNo) {
        return this.jdbc.sql("SELECT sku, quantity, unit_price FROM reservation_line WHERE order_no = ? ORDER BY sku")
            .param(orderNo)
            .query(PricedLine.class)
            .list();
    }

    private static void requireOne(int updated, String what, PricedLine line) {
        if (updated != 1) {
            // The counts disagree with the reservation: roll back and let the retry and dead-letter path show it.
            throw new IllegalStateException("Cannot " + what + " " + line + ": the SKU's reserved count is too low");
        }
    }
}
