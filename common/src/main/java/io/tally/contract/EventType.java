package io.tally.contract;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names an event record: its type (also its routing key), its schema version and the topic exchange its
 * producer publishes it to.
 */
@Documented
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
public @interface EventType {

    /** The event type, for example {@code order.created}; also the routing key. */
    String name();

    /** The schema version of this record; consumers refuse messages of a newer version. */
    int version() default 1;

    /** The producer's topic exchange, for example {@code order.events}, before any configured prefix. */
    String exchange();
}
