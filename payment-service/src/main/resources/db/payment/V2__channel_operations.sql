-- Every request to the channel and its response, and every callback with the answer given: written in a
-- transaction of its own (on a connection pool of its own), so it survives the business transaction's rollback.
CREATE TABLE channel_exchange (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    direction       VARCHAR(8)    NOT NULL,
    method          VARCHAR(8)    NOT NULL,
    endpoint        VARCHAR(255)  NOT NULL,
    out_trade_no    VARCHAR(40)   NULL,
    refund_no       VARCHAR(48)   NULL,
    request_headers TEXT          NULL,
    request_body    MEDIUMTEXT    NULL,
    response_status INT           NULL,
    response_body   MEDIUMTEXT    NULL,
    duration_ms     BIGINT        NOT NULL,
    error           VARCHAR(1000) NULL,
    started_at      DATETIME(6)   NOT NULL,
    INDEX channel_exchange_trade (out_trade_no, id),
    INDEX channel_exchange_refund (refund_no)
);

-- Active query: when a paying payment is next asked about at the channel, how often it was, and whether an
-- operator must look at it.
ALTER TABLE payment
    ADD COLUMN next_query_at     DATETIME(6)  NULL,
    ADD COLUMN query_attempts    INT          NOT NULL DEFAULT 0,
    ADD COLUMN last_query_result VARCHAR(255) NULL,
    ADD COLUMN flagged_at        DATETIME(6)  NULL,
    ADD INDEX payment_due_query (status, next_query_at);

-- Refunds are issued by a worker, retried with the same number on a backoff, then flagged.
ALTER TABLE refund
    ADD COLUMN reason          VARCHAR(255)  NULL,
    ADD COLUMN next_attempt_at DATETIME(6)   NULL,
    ADD COLUMN attempts        INT           NOT NULL DEFAULT 0,
    ADD COLUMN last_error      VARCHAR(1000) NULL,
    ADD COLUMN flagged_at      DATETIME(6)   NULL,
    ADD INDEX refund_due (status, next_attempt_at);

CREATE TABLE operator_action (
    id       BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    action   VARCHAR(40)   NOT NULL,
    target   VARCHAR(64)   NOT NULL,
    operator VARCHAR(100)  NOT NULL,
    detail   VARCHAR(1000) NULL,
    acted_at DATETIME(6)   NOT NULL,
    INDEX operator_action_target (target)
);

CREATE TABLE reconciliation_run (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    statement_date  DATE          NOT NULL,
    scheduled       TINYINT(1)    NOT NULL,
    -- one scheduled run per day; operator runs leave it NULL
    scheduled_date  DATE          NULL,
    status          VARCHAR(20)   NOT NULL,
    triggered_by    VARCHAR(100)  NOT NULL,
    statement_lines INT           NULL,
    statement_total BIGINT        NULL,
    differences     INT           NOT NULL DEFAULT 0,
    repaired        INT           NOT NULL DEFAULT 0,
    held_over       INT           NOT NULL DEFAULT 0,
    error           VARCHAR(1000) NULL,
    started_at      DATETIME(6)   NOT NULL,
    finished_at     DATETIME(6)   NULL,
    CONSTRAINT reconciliation_run_scheduled_once UNIQUE (scheduled_date)
);

CREATE TABLE reconciliation_difference (
    id            BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    run_id        BIGINT        NOT NULL,
    kind          VARCHAR(32)   NOT NULL,
    out_trade_no  VARCHAR(40)   NOT NULL,
    refund_no     VARCHAR(48)   NULL,
    local_view    VARCHAR(255)  NULL,
    channel_view  VARCHAR(255)  NULL,
    status        VARCHAR(20)   NOT NULL,
    repair        VARCHAR(255)  NULL,
    decision      VARCHAR(1000) NULL,
    resolved_by   VARCHAR(100)  NULL,
    resolved_at   DATETIME(6)   NULL,
    INDEX reconciliation_difference_run (run_id),
    INDEX reconciliation_difference_trade (out_trade_no, status)
);
