-- The claim reads the due PENDING rows in the order they fall due: rows in backoff, rows parked behind a DEAD
-- head of their aggregate and rows of other statuses are not on its path at all.
CREATE INDEX ix_tally_outbox_due ON tally_outbox (status, next_attempt_at, id);
