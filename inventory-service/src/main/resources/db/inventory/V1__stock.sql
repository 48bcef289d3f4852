CREATE TABLE sku (
    sku        VARCHAR(64) NOT NULL PRIMARY KEY,
    price      BIGINT      NOT NULL,
    currency   CHAR(3)     NOT NULL,
    available  INT         NOT NULL,
    reserved   INT         NOT NULL DEFAULT 0,
    sold       INT         NOT NULL DEFAULT 0,
    updated_at DATETIME(6) NOT NULL,
    CONSTRAINT sku_counts_not_negative CHECK (available >= 0 AND reserved >= 0 AND sold >= 0)
);

-- One row per order: RESERVED, COMMITTED, RELEASED or REJECTED. A RELEASED row written before any
-- reservation (the cancel overtook the order) keeps a late order.created from reserving.
CREATE TABLE reservation (
    order_no     VARCHAR(64)  NOT NULL PRIMARY KEY,
    status       VARCHAR(16)  NOT NULL,
    total_amount BIGINT       NULL,
    currency     CHAR(3)      NULL,
    reason       VARCHAR(255) NULL,
    created_at   DATETIME(6)  NOT NULL,
    updated_at   DATETIME(6)  NOT NULL
);

CREATE TABLE reservation_line (
    order_no   VARCHAR(64) NOT NULL,
    sku        VARCHAR(64) NOT NULL,
    quantity   INT         NOT NULL,
    unit_price BIGINT      NOT NULL,
    PRIMARY KEY (order_no, sku)
);
