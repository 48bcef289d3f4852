/**
 * Operator access: the operator endpoints under {@code /api/admin/**} require an authenticated operator.
 */
package io.tally.operator;
