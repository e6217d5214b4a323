-- The name the caller gave the entity (the v2.2.0 client's `name` field), kept with its ID.
ALTER TABLE minted_ids ADD COLUMN name TEXT;
