-- Identifiers compare byte for byte. The tables were created with the server's default collation, which ignores
-- letter case (and, on MySQL 8.4, accents): 'SKU-1' and 'sku-1' were one SKU, so a PUT of one overwrote the other
-- and an order holding both collided with itself. Every text column of the service becomes utf8mb4_bin: its
-- identifiers are what it stores as text, and its few free-text columns lose nothing by comparing exactly.
ALTER TABLE sku CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE reservation CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE reservation_line CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
