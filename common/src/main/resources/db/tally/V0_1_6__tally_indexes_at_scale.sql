-- What the purges, the gauges and the operator lists read, indexed so that none of them degrades with the size
-- of the tables: SENT rows by the time they were sent (the purge), dead letters by status then id (the list and
-- its retention), and actions by time (their retention).
CREATE INDEX ix_tally_outbox_sent ON tally_outbox (status, sent_at);
CREATE INDEX ix_tally_dead_letter_list ON tally_dead_letter (status, id);
CREATE INDEX ix_tally_dead_letter_closed ON tally_dead_letter (status, updated_at);
CREATE INDEX ix_tally_dead_letter_action_time ON tally_dead_letter_action (acted_at);
