package io.tally.order.orders;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The order's state machine: each state is reached only from the states the design allows. */
class OrderStatusTests {

    @Test
    void anOrderAwaitsPaymentOnlyOnceItsStockIsReserved() {
        assertThat(OrderStatus.AWAITING_PAYMENT.from()).containsExactly(OrderStatus.PENDING_STOCK);
    }

    @Test
    void onlyAnOrderAwaitingPaymentCanBePaid() {
        assertThat(OrderStatus.PAID.from()).containsExactly(OrderStatus.AWAITING_PAYMENT);
    }

    @Test
    void anOrderCanBeCancelledUntilItIsPaid() {
        assertThat(OrderStatus.CANCELLED.from()).containsExactlyInAnyOrder(OrderStatus.PENDING_STOCK,
                OrderStatus.AWAITING_PAYMENT);
    }

    @Test
    void payAndCancelRaceOnOneSourceAndOnlyOneOfThemCanWin() {
        // both leave AWAITING_PAYMENT, and neither final state leads anywhere: whichever moves first wins
        assertThat(OrderStatus.PAID.from()).containsAnyElementsOf(OrderStatus.CANCELLED.from());
        for (OrderStatus to : OrderStatus.values()) {
            assertThat(to.from()).as("%s reached from a final state", to).doesNotContain(OrderStatus.PAID, OrderStatus.CANCELLED);
        }
    }

    @Test
    void paidAndCancelledAreFinalAndNothingElseIs() {
        Set<OrderStatus> finals = EnumSet.noneOf(OrderStatus.class);
        for (OrderStatus status : OrderStatus.values()) {
            if (status.isFinal()) {
                finals.add(status);
            }
        }
        assertThat(finals).containsExactlyInAnyOrder(OrderStatus.PAID, OrderStatus.CANCELLED);
        assertThat(OrderStatus.PENDING_STOCK.from()).as("the first state").isEmpty();
    }
}
