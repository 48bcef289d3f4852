package io.tally.inventory.stock;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.tally.events.Events.OrderLine;
import io.tally.events.Events.PricedLine;

import static org.assertj.core.api.Assertions.assertThat;

/** The reservation decision on its own: every line or none, in SKU order, with exact sums. */
class ReservationTests {

    private static final Map<String, StockLevel> STOCK = Map.of(
            "BOOK", new StockLevel("BOOK", 3900, "CNY", 5, 0, 0),
            "PEN", new StockLevel("PEN", 500, "CNY", 1, 0, 0),
            "GOLD", new StockLevel("GOLD", Long.MAX_VALUE / 2, "CNY", 10, 0, 0));

    @Test
    void everyLineAvailableIsReservedInSkuOrderAtItsPriceWithItsTotal() {
        Reservation.Decision decision = Reservation.decide(List.of(new OrderLine("PEN", 1), new OrderLine("BOOK", 2)), STOCK);

        assertThat(decision).isEqualTo(new Reservation.Reserve(
                List.of(new PricedLine("BOOK", 2, 3900), new PricedLine("PEN", 1, 500)), 2 * 3900 + 500));
    }

    @Test
    void oneLineShortRejectsTheWholeOrder() {
        Reservation.Decision decision = Reservation.decide(List.of(new OrderLine("BOOK", 2), new OrderLine("PEN", 2)), STOCK);

        assertThat(decision).isEqualTo(new Reservation.Reject("INSUFFICIENT_STOCK: PEN"));
    }

    @Test
    void anUnknownSkuRejectsTheWholeOrder() {
        assertThat(Reservation.decide(List.of(new OrderLine("BOOK", 1), new OrderLine("CAKE", 1)), STOCK))
            .isEqualTo(new Reservation.Reject("UNKNOWN_SKU: CAKE"));
    }

    @Test
    void linesOfOneSkuAreMergedBeforeTheStockIsCompared() {
        assertThat(Reservation.decide(List.of(new OrderLine("BOOK", 3), new OrderLine("BOOK", 3)), STOCK))
            .as("3 + 3 of 5").isEqualTo(new Reservation.Reject("INSUFFICIENT_STOCK: BOOK"));
        assertThat(Reservation.decide(List.of(new OrderLine("BOOK", 2), new OrderLine("BOOK", 3)), STOCK))
            .isEqualTo(new Reservation.Reserve(List.of(new PricedLine("BOOK", 5, 3900)), 5 * 3900));
    }

    @Test
    void aQuantityOfZeroOrLessIsInvalid() {
        assertThat(Reservation.decide(List.of(new OrderLine("BOOK", 1), new OrderLine("PEN", 0)), STOCK))
            .isEqualTo(new Reservation.Reject("INVALID_QUANTITY: PEN"));
        assertThat(Reservation.decide(List.of(new OrderLine("BOOK", -1)), STOCK))
            .isEqualTo(new Reservation.Reject("INVALID_QUANTITY: BOOK"));
    }

    @Test
    void quantitiesThatWouldWrapAroundAreRejectedNotSummedIntoASmallNumber() {
        // three lines of 1,431,655,766 sum to 2 modulo 2^32
        List<OrderLine> wrapping = List.of(new OrderLine("BOOK", 1_431_655_766), new OrderLine("BOOK", 1_431_655_766),
                new OrderLine("BOOK", 1_431_655_766));

        assertThat(Reservation.decide(wrapping, STOCK)).isInstanceOf(Reservation.Reject.class)
            .extracting(d -> ((Reservation.Reject) d).reason()).asString().startsWith("INVALID_QUANTITY");
    }

    @Test
    void aTotalBeyondWhatMinorUnitsCanHoldIsRejected() {
        assertThat(Reservation.decide(List.of(new OrderLine("GOLD", 3)), STOCK)).isInstanceOf(Reservation.Reject.class)
            .extracting(d -> ((Reservation.Reject) d).reason()).asString().startsWith("AMOUNT_TOO_LARGE");
        assertThat(Reservation.decide(List.of(new OrderLine("GOLD", 2)), STOCK))
            .isEqualTo(new Reservation.Reserve(List.of(new PricedLine("GOLD", 2, Long.MAX_VALUE / 2)), Long.MAX_VALUE - 1));
    }
}
