package io.tally.jdbc;

import org.jspecify.annotations.Nullable;

/** LIKE patterns from an operator's text, its own wildcards escaped (MySQL and MariaDB escape with a backslash). */
public final class SqlLike {

    private SqlLike() {
    }

    /** A pattern matching values that contain {@code text}, or {@code null} for no text. */
    public static @Nullable String containing(@Nullable String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    }
}
