-- The verifiable mint log (docs/log.md). minted_ids.log_index: where each mint's leaf is,
-- written in the mint's own transaction (unique, so no two rows claim one leaf). log_leaves:
-- each leaf's hash, in the order appended (idx from 0, no gaps). log_nodes: the perfect
-- subtrees of 16 leaves and more (2^level leaves from idx * 2^level), kept as checkpoints
-- integrate them. log_checkpoints: every signed checkpoint (a C2SP signed note), by tree size.
ALTER TABLE minted_ids ADD COLUMN log_index INTEGER;

CREATE UNIQUE INDEX minted_ids_by_log_index ON minted_ids (log_index)
    WHERE log_index IS NOT NULL;

CREATE TABLE log_leaves (
    idx INTEGER PRIMARY KEY CHECK (idx >= 0),
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
