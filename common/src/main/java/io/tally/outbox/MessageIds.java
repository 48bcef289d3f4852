package io.tally.outbox;

import java.security.SecureRandom;
import java.time.Clock;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.UUIDClock;
import com.fasterxml.uuid.impl.TimeBasedEpochRandomGenerator;

/**
 * The ids of the messages the outbox writes: version 7 UUIDs (RFC 9562), whose text sorts by the millisecond they
 * were made in. The outbox's unique index on them is therefore written at its end and purged from its start,
 * like the primary key, instead of at a random page for every insert and every purged row, which is what keeps
 * inserts and the purge flat once the table outgrows the database's buffer pool. The rest of the id is random
 * (122 bits of a UUID less the 48 of the time), so ids stay unguessable and unique across instances.
 */
public final class MessageIds {

    private final TimeBasedEpochRandomGenerator generator;

    /** @param clock the time the ids carry (the application's clock) */
    public MessageIds(Clock clock) {
        this.generator = Generators.timeBasedEpochRandomGenerator(new SecureRandom(), new UUIDClock() {
            @Override
            public long currentTimeMillis() {
                return clock.millis();
            }
        });
    }

    /** @return a new id, 36 characters */
    public String next() {
        return this.generator.generate().toString();
    }
}
