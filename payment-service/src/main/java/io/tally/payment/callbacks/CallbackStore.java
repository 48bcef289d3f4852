package io.tally.payment.callbacks;

import java.time.Instant;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.tally.jdbc.SqlTime;

/** The {@code channel_callback} table: every verified callback, stored raw, then its outcome once applied. */
@Repository
class CallbackStore {

    private final JdbcClient jdbc;

    CallbackStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Stores a callback raw under its notification id; a repeated one only counts its delivery. */
    void store(String notificationId, String outTradeNo, String body, Instant now) {
        this.jdbc.sql("""
                INSERT INTO channel_callback (notification_id, out_trade_no, body, received_at) VALUES (?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE deliveries = deliveries + 1""")
            .params(notificationId, outTradeNo, body, SqlTime.of(now))
            .update();
    }

    /** Records what applying the callback did. */
    void processed(String notificationId, String outcome, Instant now) {
        this.jdbc.sql("UPDATE channel_callback SET processed_at = ?, outcome = ? WHERE notification_id = ?")
            .params(SqlTime.of(now), outcome, notificationId)
            .update();
    }
}
