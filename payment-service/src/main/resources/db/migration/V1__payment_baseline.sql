-- Baseline of the payment schema; the service's own tables follow in later migrations.
CREATE TABLE payment_schema_info (
    name  VARCHAR(64)  NOT NULL,
    value VARCHAR(255) NOT NULL,
    PRIMARY KEY (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
