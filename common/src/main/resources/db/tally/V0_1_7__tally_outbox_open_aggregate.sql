-- The claim needs, for each candidate aggregate, its earliest unfinished (PENDING or DEAD) row. An index on
-- aggregate_id answered that, but held an entry at a random place for every row of the table, SENT ones
-- included: once the table outgrew the buffer pool, every insert and every purged row cost a random page read.
-- open_aggregate is the aggregate id while a row is unfinished and NULL once it is SENT or DISCARDED, so the
-- index on it keeps the unfinished rows (few) by aggregate and the finished ones (nearly all) as (NULL, id),
-- in the order they are written and purged.
ALTER TABLE tally_outbox
    ADD COLUMN open_aggregate VARCHAR(128)
        GENERATED ALWAYS AS (CASE WHEN status IN ('PENDING', 'DEAD') THEN aggregate_id END) STORED;
CREATE INDEX ix_tally_outbox_open ON tally_outbox (open_aggregate, id);
DROP INDEX ix_tally_outbox_aggregate ON tally_outbox;
