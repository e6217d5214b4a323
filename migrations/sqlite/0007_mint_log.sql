-- The verifiable mint log (docs/log.md). log_leaves: each minted ID's leaf hash, in the order
-- appended (idx from 0, no gaps), written in the mint's own transaction. log_nodes: the perfect
-- subtrees above the leaves (2^level leaves from idx * 2^level), kept as checkpoints integrate
-- them. log_checkpoints: every signed checkpoint (a C2SP signed note), by tree size.
CREATE TABLE log_leaves (
    idx INTEGER PRIMARY KEY CHECK (idx >= 0),
    chitty_id TEXT NOT NULL UNIQUE,
    hash BLOB NOT NULL CHECK (length(hash) = 32)
);

CREATE TABLE log_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 63),
    idx INTEGER NOT NULL CHECK (idx >= 0),
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TABLE log_checkpoints (
    size INTEGER PRIMARY KEY CHECK (size > 0),
    note TEXT NOT NULL,
    signed_at_unix_ms INTEGER NOT NULL
);

-- The log's verifier key (public), claimed by the first authority that checkpoints: one that
-- holds another key refuses to start rather than sign a second, conflicting log.
CREATE TABLE log_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    verifier_key TEXT NOT NULL
);
