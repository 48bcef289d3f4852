CREATE TABLE bench_business (
    id           BIGINT       NOT NULL AUTO_INCREMENT,
    aggregate_id VARCHAR(128) NOT NULL,
    amount       BIGINT       NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB;

CREATE TABLE bench_effect (
    id           BIGINT       NOT NULL AUTO_INCREMENT,
    aggregate_id VARCHAR(128) NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB;
