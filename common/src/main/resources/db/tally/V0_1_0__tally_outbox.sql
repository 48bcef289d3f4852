-- Transactional outbox of tally (common). Rows are written in the business transaction and published by
-- the relay; status PENDING -> SENT (purged later) or DEAD (an operator replays or discards it).
CREATE TABLE tally_outbox (
    id              BIGINT       NOT NULL AUTO_INCREMENT,
    message_id      VARCHAR(64)  NOT NULL,
    aggregate_id    VARCHAR(128) NOT NULL,
    exchange_name   VARCHAR(255) NOT NULL,
    routing_key     VARCHAR(255) NOT NULL,
    event_type      VARCHAR(128) NOT NULL,
    schema_version  INT          NOT NULL,
    correlation_id  VARCHAR(128) NULL,
    headers         TEXT         NULL,
    payload         MEDIUMBLOB   NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6)  NOT NULL,
    lease_owner     VARCHAR(96)  NULL,
    lease_until     DATETIME(6)  NULL,
    last_error      VARCHAR(2000) NULL,
    created_at      DATETIME(6)  NOT NULL,
    sent_at         DATETIME(6)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_tally_outbox_message (message_id),
    KEY ix_tally_outbox_claim (status, id),
    KEY ix_tally_outbox_aggregate (aggregate_id, status, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
