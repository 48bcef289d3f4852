-- Effects of the test handler. No unique key on message_id: an effect applied twice shows as two rows.
CREATE TABLE test_effect (
    id           BIGINT       NOT NULL AUTO_INCREMENT,
    message_id   VARCHAR(64)  NOT NULL,
    aggregate_id VARCHAR(128) NOT NULL,
    seq          INT          NOT NULL,
    attempt      INT          NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB;

CREATE TABLE test_business (
    id           BIGINT       NOT NULL AUTO_INCREMENT,
    aggregate_id VARCHAR(128) NOT NULL,
    seq          INT          NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB;
