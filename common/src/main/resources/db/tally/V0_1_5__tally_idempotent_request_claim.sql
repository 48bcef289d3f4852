-- Each claim of a key has a token of its own: only the request holding the current claim completes or releases
-- it, so a request taken over after its in-flight timeout cannot overwrite or free its successor's claim.
ALTER TABLE tally_idempotent_request ADD COLUMN claim_token CHAR(36) NULL;
