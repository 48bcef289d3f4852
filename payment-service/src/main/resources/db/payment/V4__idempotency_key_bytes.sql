-- An Idempotency-Key compares byte for byte, and the hash of the request that used it is kept with the payment.
ALTER TABLE payment
    MODIFY idempotency_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    ADD COLUMN idempotency_hash CHAR(64) NULL;
