-- Idempotency keys. mint_keys: the authority's, one per caller token and key, written in the
-- same transaction as the records it holds. gateway_keys: the gateway's, one per API key and
-- key, with the state of the request that took it. Both expire by time; the expiry indexes let
-- sweeps find old keys without a scan.

CREATE TABLE mint_keys (
    caller_hash TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- JSON array of the minted IDs, in request order.
    ids TEXT NOT NULL,
    expires_at_unix_ms INTEGER NOT NULL,
    PRIMARY KEY (caller_hash, key)
) WITHOUT ROWID;

CREATE INDEX mint_keys_by_expiry ON mint_keys (expires_at_unix_ms);

CREATE TABLE gateway_keys (
    caller_hash TEXT NOT NULL,
    key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    -- in_flight: a request holds it; done: answer holds the IDs; unknown: the request ended
    -- without knowing whether the authority minted.
    state TEXT NOT NULL CHECK (state IN ('in_flight', 'done', 'unknown')),
    answer TEXT,
    claimed_at_unix_ms INTEGER NOT NULL,
    expires_at_unix_ms INTEGER NOT NULL,
    PRIMARY KEY (caller_hash, key)
) WITHOUT ROWID;

CREATE INDEX gateway_keys_by_expiry ON gateway_keys (expires_at_unix_ms);
