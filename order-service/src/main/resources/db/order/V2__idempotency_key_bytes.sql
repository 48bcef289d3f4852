-- An Idempotency-Key compares byte for byte (the default collation ignores case, which handed one user the order
-- of another whose key differed only in case), and the hash of the request that used it is kept with the order,
-- so that a later request with the same key and another body is refused.
ALTER TABLE customer_order
    MODIFY idempotency_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    ADD COLUMN idempotency_hash CHAR(64) NULL;
