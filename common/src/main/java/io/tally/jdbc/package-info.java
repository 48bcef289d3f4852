/**
 * SQL details that must hold on MySQL 8.4 and MariaDB 10.11 alike.
 */
package io.tally.jdbc;
