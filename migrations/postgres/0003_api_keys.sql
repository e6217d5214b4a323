-- API keys as accounts: named keys with their own scopes and rate, shared by every gateway on
-- this store. One row per secret: a rotation adds a row under the same name and gives the old
-- ones an expiry (the overlap). Only the secret's SHA-256 is kept; rows are never deleted, so
-- audit events keep a name for their caller_hash.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    -- Comma-separated: generate, validate.
    scopes TEXT NOT NULL,
    -- IDs per minute; NULL for the gateway's default, 0 for no limit.
    rate_per_minute BIGINT,
    created_at_unix_ms BIGINT NOT NULL,
    expires_at_unix_ms BIGINT,
    revoked_at_unix_ms BIGINT
);

CREATE INDEX api_keys_by_name ON api_keys (name);

-- The audit log with each event's key named (NULL for keys from the environment or a file).
CREATE VIEW audit_events_named AS
SELECT e.*, (SELECT k.name FROM api_keys k WHERE k.secret_hash = e.caller_hash) AS key_name
FROM audit_events e;
