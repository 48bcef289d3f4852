/**
 * Real infrastructure for tests: Testcontainers when a Docker engine answers, the local RabbitMQ and
 * MySQL/MariaDB otherwise, with a database and broker names of its own for each test context.
 */
package io.tally.testing;
