-- Identifiers compare byte for byte (order numbers, user ids, SKUs, payment and refund numbers, coupon numbers):
-- the tables were created with the server's default collation, which ignores letter case. Every text column of
-- the service becomes utf8mb4_bin.
ALTER TABLE customer_order CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE order_line CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE coupon CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE order_refund CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
