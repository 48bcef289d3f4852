package io.tally.outbox;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Headers written into an outbox row with the event and sent with its message: the trace context of the
 * writing transaction, so a trace goes on from producer to consumer.
 */
@FunctionalInterface
public interface TraceHeaders extends Supplier<Map<String, String>> {

    /** No trace context. */
    TraceHeaders NONE = Map::of;
}
