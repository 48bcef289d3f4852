package io.tally.system;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Timestamps as the services' tables hold them: UTC, as microsecond text (as common's SqlTime binds them). */
final class Time {

    private static final DateTimeFormatter SQL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private Time() {
    }

    static String sql(Instant instant) {
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC).format(SQL);
    }
}
