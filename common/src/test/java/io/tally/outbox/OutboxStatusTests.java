package io.tally.outbox;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The outbox row's state machine, as the SQL binds it. */
class OutboxStatusTests {

    @Test
    void eachStateIsReachedOnlyFromTheStatesTheRelayAndTheOperatorMove() {
        assertThat(OutboxStatus.SENT.from()).containsExactly(OutboxStatus.PENDING);
        assertThat(OutboxStatus.DEAD.from()).containsExactly(OutboxStatus.PENDING);
        assertThat(OutboxStatus.PENDING.from()).as("a replay").containsExactly(OutboxStatus.DEAD);
        assertThat(OutboxStatus.DISCARDED.from()).as("an operator's discard").containsExactly(OutboxStatus.DEAD);
    }

    @Test
    void aSentOrDiscardedRowNeverChangesAgain() {
        for (OutboxStatus status : OutboxStatus.values()) {
            assertThat(status.from()).doesNotContain(OutboxStatus.SENT, OutboxStatus.DISCARDED);
        }
    }
}
