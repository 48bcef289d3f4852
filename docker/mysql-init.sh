#!/bin/bash
# One schema and one user per service, with the passwords of .env; run once by the MySQL image on first start.
set -euo pipefail
mysql -uroot -p"$MYSQL_ROOT_PASSWORD" <<SQL
CREATE DATABASE IF NOT EXISTS order_db;
CREATE DATABASE IF NOT EXISTS inventory_db;
CREATE DATABASE IF NOT EXISTS payment_db;
CREATE USER IF NOT EXISTS 'order_svc'@'%' IDENTIFIED BY '${ORDER_DB_PASSWORD}';
CREATE USER IF NOT EXISTS 'inventory_svc'@'%' IDENTIFIED BY '${INVENTORY_DB_PASSWORD}';
CREATE USER IF NOT EXISTS 'payment_svc'@'%' IDENTIFIED BY '${PAYMENT_DB_PASSWORD}';
GRANT ALL PRIVILEGES ON order_db.* TO 'order_svc'@'%';
GRANT ALL PRIVILEGES ON inventory_db.* TO 'inventory_svc'@'%';
GRANT ALL PRIVILEGES ON payment_db.* TO 'payment_svc'@'%';
SQL
