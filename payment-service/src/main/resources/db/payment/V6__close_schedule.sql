-- The close of a cancelled order's open trade is an intent recorded with the cancellation and carried out after it
-- commits, outside any transaction: close_due_at is when it is next tried (NULL: no close to do), close_attempts
-- how often it failed. A close that fails is retried on a backoff until the channel answers.
ALTER TABLE payment
    ADD COLUMN close_due_at   DATETIME(6) NULL,
    ADD COLUMN close_attempts INT         NOT NULL DEFAULT 0,
    ADD INDEX payment_due_close (close_due_at);
