-- Old nonces are purged by age in the background.
CREATE INDEX callback_nonce_seen_at ON callback_nonce (seen_at);
