package io.tally.contract;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What {@link EventType} says of an event class.
 *
 * @param name the event type and routing key
 * @param version the schema version
 * @param exchange the producer's exchange, before any prefix
 * @param eventClass the record class
 */
public record EventDescriptor(String name, int version, String exchange, Class<?> eventClass) {

    private static final Map<Class<?>, EventDescriptor> cache = new ConcurrentHashMap<>();

    /**
     * The descriptor of an event class.
     * @throws IllegalArgumentException if the class carries no {@link EventType}
     */
    public static EventDescriptor of(Class<?> eventClass) {
        return cache.computeIfAbsent(eventClass, type -> {
            EventType annotation = type.getAnnotation(EventType.class);
            if (annotation == null) {
                throw new IllegalArgumentException(type.getName() + " is not an event: annotate it with @EventType");
            }
            return new EventDescriptor(annotation.name(), annotation.version(), annotation.exchange(), type);
        });
    }
}
