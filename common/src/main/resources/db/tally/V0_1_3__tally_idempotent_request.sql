-- Idempotent HTTP requests: the first response stored under its Idempotency-Key.
CREATE TABLE tally_idempotent_request (
    idempotency_key  VARCHAR(255) NOT NULL,
    request_hash     CHAR(64)     NOT NULL,
    status           VARCHAR(16)  NOT NULL,
    locked_until     DATETIME(6)  NOT NULL,
    response_status  INT          NULL,
    content_type     VARCHAR(255) NULL,
    location         VARCHAR(1000) NULL,
    response_body    MEDIUMBLOB   NULL,
    created_at       DATETIME(6)  NOT NULL,
    expires_at       DATETIME(6)  NOT NULL,
    PRIMARY KEY (idempotency_key),
    KEY ix_tally_idempotent_request_expiry (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
