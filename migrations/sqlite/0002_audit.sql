-- The gateway's audit log: who did what, by the SHA-256 of their API key (never the key).

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_unix_ms INTEGER NOT NULL,
    action TEXT NOT NULL,
    caller_hash TEXT NOT NULL,
    outcome TEXT NOT NULL,
    -- JSON array of the IDs concerned.
    ids TEXT NOT NULL,
    entity TEXT
);

CREATE INDEX audit_events_at ON audit_events (at_unix_ms);
