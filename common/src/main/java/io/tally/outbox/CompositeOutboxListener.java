package io.tally.outbox;

import java.util.List;

/** Calls several listeners in order. */
final class CompositeOutboxListener implements OutboxListener {

    private final List<OutboxListener> listeners;

    CompositeOutboxListener(List<OutboxListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    @Override
    public void claimed(List<OutboxRecord> records) {
        this.listeners.forEach(l -> l.claimed(records));
    }

    @Override
    public void beforePublish(OutboxRecord record) {
        for (OutboxListener listener : this.listeners) {
            listener.beforePublish(record);
        }
    }

    @Override
    public void beforeFinish(List<OutboxRecord> confirmed) {
        this.listeners.forEach(l -> l.beforeFinish(confirmed));
    }

    @Override
    public void sent(List<OutboxRecord> records) {
        this.listeners.forEach(l -> l.sent(records));
    }

    @Override
    public void failed(OutboxRecord record, String reason, boolean dead) {
        this.listeners.forEach(l -> l.failed(record, reason, dead));
    }

    @Override
    public void brokerUnavailable(String reason) {
        this.listeners.forEach(l -> l.brokerUnavailable(reason));
    }

    @Override
    public void brokerAvailable() {
        this.listeners.forEach(OutboxListener::brokerAvailable);
    }
}
