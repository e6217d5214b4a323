-- The reference authority's store: the permutation key, the counters of every sequence space,
-- and the record of every minted ID.

CREATE TABLE authority_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key BLOB NOT NULL CHECK (length(key) = 32)
);

-- next_counter: the first counter not yet reserved. last_block_start: where the most recent
-- reservation began (returned with the new next_counter, so one statement reserves a block).
CREATE TABLE sequence_spaces (
    space TEXT PRIMARY KEY,
    next_counter INTEGER NOT NULL CHECK (next_counter BETWEEN 0 AND 10000),
    last_block_start INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE minted_ids (
    chitty_id TEXT PRIMARY KEY,
    entity_name TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    metadata TEXT,
    caller_hash TEXT NOT NULL,
    minted_at_unix_ms INTEGER NOT NULL
) WITHOUT ROWID;
