-- The verifiable mint log (docs/log.md). log_head: the number of leaves appended, whose row
-- lock orders the appends of every authority sharing the database. minted_ids.log_index: where
-- each mint's leaf is, written in the mint's own transaction (unique, so no two rows claim one
-- leaf). log_leaves: each leaf's hash, in the order appended (idx from 0, no gaps). log_nodes:
-- the perfect subtrees of 16 leaves and more (2^level leaves from idx * 2^level), kept as
-- checkpoints integrate them. log_checkpoints: every signed checkpoint (a C2SP signed note),
-- by tree size.
CREATE TABLE log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL CHECK (size >= 0)
);

INSERT INTO log_head (id, size) VALUES (1, 0);

ALTER TABLE minted_ids ADD COLUMN log_index BIGINT;

CREATE UNIQUE INDEX minted_ids_by_log_index ON minted_ids (log_index);

CREATE TABLE log_leaves (
    idx BIGINT PRIMARY KEY CHECK (idx >= 0),
    hash BYTEA NOT NULL CHECK (length(hash) = 32)
);

CREATE TABLE log_nodes (
    level SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 63),
    idx BIGINT NOT NULL CHECK (idx >= 0),
    hash BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE log_checkpoints (
    size BIGINT PRIMARY KEY CHECK (size > 0),
    note TEXT NOT NULL,
    signed_at_unix_ms BIGINT NOT NULL
);

-- The log's verifier key (public), claimed by the first authority that checkpoints: one that
-- holds another key refuses to start rather than sign a second, conflicting log.
CREATE TABLE log_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    verifier_key TEXT NOT NULL
);
