package io.tally.deadletter;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.beans.factory.annotation.Autowired;

import io.tally.fixtures.IntegrationTests;
import io.tally.inbox.ConsumerContainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An operator's decision stands, and every replay that reached the broker is in the audit trail. */
class OperatorDecisionTests extends IntegrationTests {

    @Autowired
    DeadLetterOperations operations;

    @Autowired
    ConsumerContainers consumers;

    @Test
    void aLaterFailingCopyOfADiscardedDeadLetterLeavesItDiscarded() {
        String messageId = newId();
        publishRaw(messageId, "not json".getBytes(StandardCharsets.UTF_8));
        eventually().until(() -> "PARKED".equals(status(messageId)));
        this.operations.discard(id(messageId), "operator", "a test message, never real");

        // another copy of the same message fails the same way (a duplicate still in flight, say)
        publishRaw(messageId, "not json".getBytes(StandardCharsets.UTF_8));
        eventually().until(() -> this.jdbc.queryForObject("SELECT failures FROM tally_dead_letter WHERE message_id = ?",
                Integer.class, messageId) == 2);
        assertThat(status(messageId)).as("the operator's decision").isEqualTo("DISCARDED");
        assertThat(actions(messageId)).containsExactly("DISCARD", "FAILED_AGAIN");
    }

    @Test
    void aReplayThatReachedTheBrokerIsAuditedEvenWhenWhatFollowsItFails() {
        String messageId = newId();
        publishRaw(messageId, "{\"aggregateId\":\"audited\",\"seq\":0}".getBytes(StandardCharsets.UTF_8), 9); // a newer version
        eventually().until(() -> "PARKED".equals(status(messageId)));
        RabbitAdmin admin = new RabbitAdmin(this.connectionFactory);
        this.consumers.stop();
        try {
            this.jdbc.execute("""
                    CREATE TRIGGER test_refuse_actions BEFORE INSERT ON tally_dead_letter_action FOR EACH ROW
                    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the audit trail refuses writes'""");
            try {
                assertThatThrownBy(() -> this.operations.replay(id(messageId), "operator", "try it again"));
            }
            finally {
                this.jdbc.execute("DROP TRIGGER test_refuse_actions");
            }
            assertThat(queued(admin)).as("messages replayed to the work queue without an audit entry")
                .isEqualTo(actions(messageId).stream().filter("REPLAY"::equals).count());

            this.operations.replay(id(messageId), "operator", "try it again");
            assertThat(queued(admin)).isEqualTo(1);
            assertThat(actions(messageId)).containsExactly("REPLAY");
        }
        finally {
            this.consumers.start();
        }
    }

    private long queued(RabbitAdmin admin) {
        return ((Number) admin.getQueueProperties(workQueue()).get(RabbitAdmin.QUEUE_MESSAGE_COUNT)).longValue();
    }

    private String id(String messageId) {
        return "dl-" + this.jdbc.queryForObject("SELECT id FROM tally_dead_letter WHERE message_id = ?", Long.class, messageId);
    }

    private String status(String messageId) {
        List<String> found = this.jdbc.queryForList("SELECT status FROM tally_dead_letter WHERE message_id = ?",
                String.class, messageId);
        return found.isEmpty() ? null : found.get(0);
    }

    private List<String> actions(String messageId) {
        return this.jdbc.queryForList("SELECT action FROM tally_dead_letter_action WHERE target = ? ORDER BY id",
                String.class, id(messageId));
    }
}
