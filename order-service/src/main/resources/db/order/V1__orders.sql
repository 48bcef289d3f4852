CREATE TABLE customer_order (
    order_no        VARCHAR(40)  NOT NULL PRIMARY KEY,
    user_id         VARCHAR(64)  NOT NULL,
    status          VARCHAR(20)  NOT NULL,
    amount          BIGINT       NULL,
    currency        CHAR(3)      NULL,
    pay_deadline    DATETIME(6)  NULL,
    cancel_at       DATETIME(6)  NULL,
    cancel_reason   VARCHAR(20)  NULL,
    cancel_detail   VARCHAR(255) NULL,
    payment_no      VARCHAR(40)  NULL,
    refunded_amount BIGINT       NOT NULL DEFAULT 0,
    payment_alert   VARCHAR(255) NULL,
    idempotency_key VARCHAR(255) NULL,
    created_at      DATETIME(6)  NOT NULL,
    updated_at      DATETIME(6)  NOT NULL,
    CONSTRAINT customer_order_idempotency_key UNIQUE (idempotency_key),
    INDEX customer_order_due (status, cancel_at),
    INDEX customer_order_user (user_id)
);

CREATE TABLE order_line (
    order_no   VARCHAR(40) NOT NULL,
    line_no    INT         NOT NULL,
    sku        VARCHAR(64) NOT NULL,
    quantity   INT         NOT NULL,
    unit_price BIGINT      NULL,
    PRIMARY KEY (order_no, line_no)
);

-- The benefit granted on payment: one per order, enforced by the key.
CREATE TABLE coupon (
    coupon_no  VARCHAR(48) NOT NULL PRIMARY KEY,
    user_id    VARCHAR(64) NOT NULL,
    order_no   VARCHAR(40) NOT NULL,
    amount     BIGINT      NOT NULL,
    currency   CHAR(3)     NOT NULL,
    granted_at DATETIME(6) NOT NULL,
    CONSTRAINT coupon_once_per_order UNIQUE (order_no),
    INDEX coupon_user (user_id)
);

-- Refunds reported by payment-service, one row per refund number.
CREATE TABLE order_refund (
    refund_no  VARCHAR(48) NOT NULL PRIMARY KEY,
    order_no   VARCHAR(40) NOT NULL,
    payment_no VARCHAR(40) NOT NULL,
    amount     BIGINT      NOT NULL,
    noted_at   DATETIME(6) NOT NULL
);
