-- Orders payment-service may take money for, learnt from order.awaiting-payment; order.cancelled closes them.
CREATE TABLE payable_order (
    order_no     VARCHAR(40) NOT NULL PRIMARY KEY,
    amount       BIGINT      NULL,
    currency     CHAR(3)     NULL,
    pay_deadline DATETIME(6) NULL,
    status       VARCHAR(20) NOT NULL,
    cancel_reason VARCHAR(20) NULL,
    updated_at   DATETIME(6) NOT NULL
);

CREATE TABLE payment (
    payment_no       VARCHAR(40)  NOT NULL PRIMARY KEY,
    order_no         VARCHAR(40)  NOT NULL,
    amount           BIGINT       NOT NULL,
    currency         CHAR(3)      NOT NULL,
    status           VARCHAR(20)  NOT NULL,
    expire_at        DATETIME(6)  NOT NULL,
    channel_trade_no VARCHAR(64)  NULL,
    paid_at          DATETIME(6)  NULL,
    captured_amount  BIGINT       NOT NULL DEFAULT 0,
    abnormal_reason  VARCHAR(255) NULL,
    idempotency_key  VARCHAR(255) NULL,
    created_at       DATETIME(6)  NOT NULL,
    updated_at       DATETIME(6)  NOT NULL,
    CONSTRAINT payment_idempotency_key UNIQUE (idempotency_key),
    INDEX payment_order (order_no)
);

-- One refund per payment: its number is derived from the payment, so a repeated request can never refund twice.
CREATE TABLE refund (
    refund_no    VARCHAR(48) NOT NULL PRIMARY KEY,
    payment_no   VARCHAR(40) NOT NULL,
    order_no     VARCHAR(40) NOT NULL,
    amount       BIGINT      NOT NULL,
    status       VARCHAR(20) NOT NULL,
    requested_at DATETIME(6) NOT NULL,
    refunded_at  DATETIME(6) NULL,
    CONSTRAINT refund_once_per_payment UNIQUE (payment_no)
);

-- Every verified callback, stored raw under its notification id before it is applied.
CREATE TABLE channel_callback (
    notification_id VARCHAR(64)  NOT NULL PRIMARY KEY,
    out_trade_no    VARCHAR(40)  NOT NULL,
    body            TEXT         NOT NULL,
    received_at     DATETIME(6)  NOT NULL,
    deliveries      INT          NOT NULL DEFAULT 1,
    processed_at    DATETIME(6)  NULL,
    outcome         VARCHAR(255) NULL
);

-- Nonces of accepted callbacks, kept while their timestamps are acceptable: a replayed send is refused.
CREATE TABLE callback_nonce (
    nonce   VARCHAR(64) NOT NULL PRIMARY KEY,
    seen_at DATETIME(6) NOT NULL
);

-- One-time payment tokens: consumed atomically by the payment they allow.
CREATE TABLE payment_token (
    token      VARCHAR(64) NOT NULL PRIMARY KEY,
    order_no   VARCHAR(40) NOT NULL,
    expires_at DATETIME(6) NOT NULL
);
