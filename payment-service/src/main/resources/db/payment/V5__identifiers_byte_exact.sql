-- Identifiers compare byte for byte (order, payment, trade and refund numbers, notification ids, nonces, tokens,
-- merchant ids): the tables were created with the server's default collation, which ignores letter case. Every
-- text column of the service becomes utf8mb4_bin.
ALTER TABLE payable_order CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE payment CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE refund CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE channel_callback CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE callback_nonce CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE payment_token CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE channel_exchange CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE operator_action CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE reconciliation_run CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE reconciliation_difference CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
