-- The gateway's audit log: who did what, by the SHA-256 of their API key (never the key).
-- Append-only; rows are read newest first by rowid, so no other index is kept on the write path.

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    at_unix_ms INTEGER NOT NULL,
    action TEXT NOT NULL,
    caller_hash TEXT NOT NULL,
    outcome TEXT NOT NULL,
    -- JSON array of the IDs concerned.
    ids TEXT NOT NULL,
    entity TEXT
);
