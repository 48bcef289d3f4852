/**
 * The operators' REST API over dead letters, under {@code /api/admin/dead-letters}.
 */
package io.tally.deadletter.web;
