-- Dedup table of the idempotent consumer: one row per (consumer, message id), inserted in the same
-- transaction as the handler's effect.
CREATE TABLE tally_inbox (
    consumer    VARCHAR(255) NOT NULL,
    message_id  VARCHAR(64)  NOT NULL,
    handled_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (consumer, message_id),
    KEY ix_tally_inbox_handled (handled_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
