-- One row rewritten by every health check: a store that cannot commit (a full disk, a
-- read-only file) fails the check instead of answering a read as if all were well.

CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at_unix_ms INTEGER NOT NULL
);
