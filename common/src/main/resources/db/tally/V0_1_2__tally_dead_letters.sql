-- Dead letters stored by the compensation consumer, and every action taken on them or on DEAD outbox rows.
CREATE TABLE tally_dead_letter (
    id                  BIGINT        NOT NULL AUTO_INCREMENT,
    message_id          VARCHAR(64)   NOT NULL,
    source_queue        VARCHAR(255)  NOT NULL,
    original_exchange   VARCHAR(255)  NULL,
    original_routing_key VARCHAR(255) NULL,
    event_type          VARCHAR(128)  NULL,
    content_type        VARCHAR(128)  NULL,
    headers             TEXT          NULL,
    properties          TEXT          NULL,
    body                MEDIUMBLOB    NOT NULL,
    reason              VARCHAR(500)  NOT NULL,
    failure_kind        VARCHAR(16)   NOT NULL,
    exception           TEXT          NULL,
    attempts            INT           NOT NULL,
    failures            INT           NOT NULL DEFAULT 1,
    status              VARCHAR(16)   NOT NULL,
    redrive_count       INT           NOT NULL DEFAULT 0,
    next_redrive_at     DATETIME(6)   NULL,
    first_failed_at     DATETIME(6)   NOT NULL,
    last_failed_at      DATETIME(6)   NOT NULL,
    updated_at          DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_tally_dead_letter (source_queue, message_id),
    KEY ix_tally_dead_letter_status (status, next_redrive_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE tally_dead_letter_action (
    id          BIGINT       NOT NULL AUTO_INCREMENT,
    target      VARCHAR(32)  NOT NULL,
    action      VARCHAR(16)  NOT NULL,
    actor       VARCHAR(128) NOT NULL,
    reason      VARCHAR(1000) NULL,
    acted_at    DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    KEY ix_tally_dead_letter_action_target (target, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
