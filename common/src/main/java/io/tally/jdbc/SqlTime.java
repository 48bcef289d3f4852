package io.tally.jdbc;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.jspecify.annotations.Nullable;

/**
 * Timestamps as tally binds and reads them: UTC, to the microsecond, in {@code DATETIME(6)} columns.
 * <p>
 * They are bound as text ({@code 2026-01-01 10:00:00.123456}) rather than as {@code LocalDateTime} or
 * {@code Timestamp}: mysql-connector-j reads MariaDB's version as "5.5.5-10.x", older than MySQL 5.6.4, and
 * silently drops the fractional seconds of temporal parameters, which turns a 50 ms backoff into none. Both
 * MySQL 8.4 and MariaDB parse the text into {@code DATETIME(6)} exactly, and reading keeps the fraction.
 */
public final class SqlTime {

    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private SqlTime() {
    }

    /** The SQL parameter for an instant, or {@code null}. */
    public static @Nullable String of(@Nullable Instant instant) {
        return instant != null ? FORMAT.format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC)) : null;
    }

    /** The instant of a {@code DATETIME(6)} value read as {@code LocalDateTime}, or {@code null}. */
    public static @Nullable Instant instant(@Nullable LocalDateTime utc) {
        return utc != null ? utc.toInstant(ZoneOffset.UTC) : null;
    }
}
