-- Everything chittyid keeps in PostgreSQL when DATABASE_URL is set: the authority's permutation
-- key, sequence counters, minted IDs and mint keys; the gateway's audit log and idempotency
-- keys; the health probe's row. Several authorities and gateways share one database.

CREATE TABLE authority_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key BYTEA NOT NULL CHECK (length(key) = 32)
);

-- next_counter: the first counter not yet reserved. last_block_start: where the most recent
-- reservation began (returned with the new next_counter, so one statement reserves a block).
CREATE TABLE sequence_spaces (
    space TEXT PRIMARY KEY,
    next_counter INTEGER NOT NULL CHECK (next_counter BETWEEN 0 AND 10000),
    last_block_start INTEGER NOT NULL
);

-- The primary key is the backstop: no ID is ever recorded twice.
CREATE TABLE minted_ids (
    chitty_id TEXT PRIMARY KEY,
    entity_name TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    metadata TEXT,
    caller_hash TEXT NOT NULL,
    minted_at_unix_ms BIGINT NOT NULL
);

CREATE TABLE mint_keys (
    caller_hash TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    ids TEXT NOT NULL,
    expires_at_unix_ms BIGINT NOT NULL,
    PRIMARY KEY (caller_hash, key)
);

CREATE INDEX mint_keys_by_expiry ON mint_keys (expires_at_unix_ms);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at_unix_ms BIGINT NOT NULL,
    action TEXT NOT NULL,
    caller_hash TEXT NOT NULL,
    outcome TEXT NOT NULL,
    ids TEXT NOT NULL,
    entity TEXT
);

CREATE TABLE gateway_keys (
    caller_hash TEXT NOT NULL,
    key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_flight', 'done', 'unknown')),
    answer TEXT,
    claimed_at_unix_ms BIGINT NOT NULL,
    expires_at_unix_ms BIGINT NOT NULL,
    PRIMARY KEY (caller_hash, key)
);

CREATE INDEX gateway_keys_by_expiry ON gateway_keys (expires_at_unix_ms);

CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at_unix_ms BIGINT NOT NULL
);
