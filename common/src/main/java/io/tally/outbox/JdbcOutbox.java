package io.tally.outbox;

import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import io.tally.contract.Correlation;
import io.tally.contract.EventDescriptor;

/**
 * Writes events to the outbox table in the caller's transaction and wakes the relay when it commits.
 */
final class JdbcOutbox implements Outbox {

    private static final Object WAKE_UP_KEY = new Object();

    private final OutboxStore store;

    private final JsonMapper json;

    private final Clock clock;

    private final String prefix;

    private final Runnable wakeUp;

    private final Supplier<Map<String, String>> traceHeaders;

    private final MessageIds messageIds;

    JdbcOutbox(OutboxStore store, JsonMapper json, Clock clock, String prefix, Runnable wakeUp,
            Supplier<Map<String, String>> traceHeaders) {
        this.store = store;
        this.json = json;
        this.clock = clock;
        this.prefix = prefix;
        this.wakeUp = wakeUp;
        this.traceHeaders = traceHeaders;
        this.messageIds = new MessageIds(clock);
    }

    @Override
    public String publish(String aggregateId, Object event) {
        if (aggregateId == null || aggregateId.isBlank()) {
            throw new IllegalArgumentException("An event needs an aggregate id");
        }
        this.store.requireTransaction();
        EventDescriptor descriptor = EventDescriptor.of(event.getClass());
        String messageId = this.messageIds.next();
        String current = Correlation.current();
        String correlationId = current != null ? current : UUID.randomUUID().toString();
        Map<String, String> trace = this.traceHeaders.get();
        String headers = trace.isEmpty() ? null : this.json.writeValueAsString(trace);
        this.store.insert(messageId, aggregateId, this.prefix + descriptor.exchange(), descriptor.name(),
                descriptor.name(), descriptor.version(), correlationId, headers, this.json.writeValueAsBytes(event),
                this.clock.instant());
        if (!TransactionSynchronizationManager.hasResource(WAKE_UP_KEY)) {
            TransactionSynchronizationManager.bindResource(WAKE_UP_KEY, Boolean.TRUE);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    TransactionSynchronizationManager.unbindResourceIfPossible(WAKE_UP_KEY);
                    if (status == STATUS_COMMITTED) {
                        JdbcOutbox.this.wakeUp.run();
                    }
                }
            });
        }
        return messageId;
    }
}
