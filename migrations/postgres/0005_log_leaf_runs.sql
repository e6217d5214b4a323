-- The mint log's leaves as runs: one row per group commit, holding the hashes of its mints'
-- leaves end to end (32 bytes each) from leaf start_idx, in the order of the group's records.
-- A row per leaf (log_leaves) cost PostgreSQL a heap tuple, a primary-key entry and their WAL
-- for every mint: with runs a mint writes 473 bytes of WAL, against 586 (BENCHMARKS.md). Runs
-- follow one another without gaps or overlaps: each starts at the log's size, taken from
-- log_head under its row lock in the run's own transaction.
CREATE TABLE log_leaf_runs (
    start_idx BIGINT PRIMARY KEY CHECK (start_idx >= 0),
    hashes BYTEA NOT NULL CHECK (length(hashes) > 0 AND length(hashes) % 32 = 0)
);

-- Leaves already appended become runs of one, each kept at its own index.
INSERT INTO log_leaf_runs (start_idx, hashes) SELECT idx, hash FROM log_leaves;

DROP TABLE log_leaves;
