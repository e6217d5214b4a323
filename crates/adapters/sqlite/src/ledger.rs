//! The SQLite side of the shared group committer (`chittyid-storage`): the statements, begin
//! and commit. One writer task owns one connection and makes every write of this process; a
//! group is two calls into SQLite whatever its size (the rows and `BEGIN IMMEDIATE` in one,
//! `COMMIT` in the other), so a mint costs no thread hand-off per statement. Block
//! reservations and idempotency keys run on the same writer, between groups, so they never
//! wait on this process's own write lock.
//!
//! Transactions are begun and ended with plain `BEGIN IMMEDIATE` / `COMMIT` / `ROLLBACK` rather
//! than sqlx's `Transaction`: when a commit fails (`SQLITE_FULL`), SQLite may or may not have
//! rolled back, and the connection must be brought back outside any transaction (or closed),
//! or every later write fails until restart.

use anyhow::Context;
use chittyid_app::authority::{CallerHash, KeptMint, LedgerError, MintKey, MintLedger, MintRecord};
use chittyid_app::gateway::{AuditError, AuditEvent, AuditSink, StoredAuditEvent};
use chittyid_domain::ChittyId;
use chittyid_storage::{Backend, BackendError, GroupRows};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, Row, Sqlite, SqliteConnection, SqlitePool};

use crate::store::SqliteStore;

/// A group's rows, in one call: the transaction begun and every table written. The key upsert
/// returns a row per key taken, so a shortfall means a key is held by an unexpired mint.
///
/// Parameters are plain `?`, bound in order across the statements: sqlx numbers unnamed
/// parameters on from the statement before, whereas a statement that names only `?4` has
/// three nameless gaps that sqlx fills from its own count and then stops short of `?4`.
const WRITE_GROUP: &str = "BEGIN IMMEDIATE;
INSERT INTO mint_keys (caller_hash, key, request_hash, ids, expires_at_unix_ms)
    SELECT value->>'caller_hash', value->>'key', value->>'request_hash', value->>'ids',
           value->>'expires_at_unix_ms'
    FROM json_each(?) WHERE true
    ON CONFLICT (caller_hash, key) DO UPDATE
        SET request_hash = excluded.request_hash, ids = excluded.ids,
            expires_at_unix_ms = excluded.expires_at_unix_ms
        WHERE mint_keys.expires_at_unix_ms <= ?
    RETURNING 1;
INSERT INTO minted_ids
        (chitty_id, entity_name, entity_type, metadata, caller_hash, minted_at_unix_ms, name)
    SELECT value->>'chitty_id', value->>'entity_name', value->>'entity_type',
           value->>'metadata', value->>'caller_hash', value->>'minted_at_unix_ms', value->>'name'
    FROM json_each(?);
INSERT INTO audit_events (at_unix_ms, action, caller_hash, outcome, ids, entity)
    SELECT value->>'at_unix_ms', value->>'action', value->>'caller_hash', value->>'outcome',
           value->>'ids', value->>'entity'
    FROM json_each(?);";

/// The health probe: a read of the counters and one row rewritten, in one transaction.
const WRITE_PROBE: &str = "BEGIN IMMEDIATE;
SELECT 1 FROM sequence_spaces LIMIT 1;
INSERT INTO health_probe (id, at_unix_ms) VALUES (1, ?)
    ON CONFLICT (id) DO UPDATE SET at_unix_ms = excluded.at_unix_ms;";

/// The writer's connection, taken from the pool once and kept (detached, so that a connection
/// in an unknown state is closed, never handed to a reader).
#[derive(Debug)]
pub(crate) struct SqliteBackend {
    pool: SqlitePool,
    conn: Option<SqliteConnection>,
}

impl SqliteBackend {
    pub(crate) fn new(pool: SqlitePool) -> Self {
        Self { pool, conn: None }
    }

    async fn connection(&mut self) -> anyhow::Result<&mut SqliteConnection> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => self
                .pool
                .acquire()
                .await
                .context("taking the writer's connection")?
                .detach(),
        };
        Ok(self.conn.insert(conn))
    }

    /// Runs `sql` (which begins a transaction) and commits; on any failure rolls back, and a
    /// connection that cannot be brought back outside a transaction is closed.
    async fn write(
        &mut self,
        sql: &'static str,
        rows: Option<&GroupRows>,
        now_ms: i64,
    ) -> Result<(), BackendError> {
        let conn = self.connection().await?;
        let query = match rows {
            Some(rows) => sqlx::query(sql)
                .bind(rows.keys.as_str())
                .bind(rows.keys_free_before_unix_ms)
                .bind(rows.records.as_str())
                .bind(rows.audits.as_str()),
            None => sqlx::query(sql).bind(now_ms),
        };
        let written = match query.fetch_all(&mut *conn).await {
            Ok(taken) if rows.is_some_and(|rows| taken.len() < rows.key_count) => {
                Err(BackendError::KeyTaken)
            }
            Ok(_) => sqlx::query("COMMIT")
                .execute(&mut *conn)
                .await
                .map(|_| ())
                .map_err(classify),
            Err(err) => Err(classify(err)),
        };
        if written.is_err() {
            let rolled_back = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            // "no transaction is active" means SQLite rolled back by itself: the connection is
            // clean. Anything else: do not trust it.
            let clean = match &rolled_back {
                Ok(_) => true,
                Err(err) => err.to_string().contains("no transaction is active"),
            };
            if !clean && let Some(conn) = self.conn.take() {
                let _ = conn.close().await;
            }
        }
        written
    }
}

/// A unique violation is the group's fault (an ID recorded twice); anything else the store's.
fn classify(err: sqlx::Error) -> BackendError {
    match err.as_database_error() {
        Some(db) if db.is_unique_violation() => BackendError::Conflict(db.message().to_owned()),
        _ => BackendError::Store(anyhow::Error::new(err).context("writing to the SQLite store")),
    }
}

impl Backend for SqliteBackend {
    type Handle = SqlitePool;

    fn handle(&self) -> SqlitePool {
        self.pool.clone()
    }

    async fn commit(&mut self, rows: &GroupRows) -> Result<(), BackendError> {
        self.write(WRITE_GROUP, Some(rows), 0).await
    }

    async fn probe(&mut self, now_unix_ms: i64) -> Result<(), BackendError> {
        self.write(WRITE_PROBE, None, now_unix_ms).await
    }

    fn discard(&mut self) {
        // Dropping closes it (its worker thread ends once the statement in flight does).
        self.conn = None;
    }
}

pub(crate) async fn begin(conn: &mut PoolConnection<Sqlite>) -> anyhow::Result<()> {
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut **conn)
        .await
        .context("starting a transaction")?;
    Ok(())
}

/// Commits if `written` is Ok; otherwise, or if the commit fails, rolls back. A connection that
/// cannot be brought back outside a transaction is closed, never returned to the pool.
pub(crate) async fn finish(
    mut conn: PoolConnection<Sqlite>,
    written: anyhow::Result<()>,
) -> anyhow::Result<()> {
    let outcome = match written {
        Ok(()) => sqlx::query("COMMIT")
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .context("committing"),
        Err(err) => Err(err),
    };
    if outcome.is_err() {
        let rolled_back = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        let clean = match &rolled_back {
            Ok(_) => true,
            Err(err) => err.to_string().contains("no transaction is active"),
        };
        if !clean {
            let _ = conn.close().await;
        }
    }
    outcome
}

pub(crate) use chittyid_app::authority::to_hex as hex;

pub(crate) fn from_hex_32(text: &str) -> Option<[u8; 32]> {
    CallerHash::from_hex(text).map(|hash| hash.0)
}

impl MintLedger for SqliteStore {
    async fn record(
        &self,
        records: Vec<MintRecord>,
        key: Option<MintKey>,
    ) -> Result<(), LedgerError> {
        self.writer.record(records, key).await
    }

    async fn find_key(
        &self,
        caller: CallerHash,
        key: &str,
        now_unix_ms: i64,
    ) -> Result<Option<KeptMint>, LedgerError> {
        let row = sqlx::query(
            "SELECT request_hash, ids FROM mint_keys
             WHERE caller_hash = ?1 AND key = ?2 AND expires_at_unix_ms > ?3",
        )
        .bind(caller.to_hex())
        .bind(key)
        .bind(now_unix_ms)
        .fetch_optional(&self.pool)
        .await
        .context("looking up an idempotency key")?;
        let Some(row) = row else {
            return Ok(None);
        };
        let request_hash: String = row
            .try_get("request_hash")
            .context("reading request_hash")?;
        let ids: String = row.try_get("ids").context("reading ids")?;
        let ids: Vec<String> = serde_json::from_str(&ids).context("decoding key IDs")?;
        Ok(Some(KeptMint {
            request_hash: from_hex_32(&request_hash)
                .context("request_hash is not a SHA-256 hex digest")?,
            ids: ids
                .iter()
                .map(|id| ChittyId::parse(id).with_context(|| format!("a kept ID {id:?}")))
                .collect::<anyhow::Result<_>>()?,
        }))
    }

    async fn find(&self, id: &ChittyId) -> Result<Option<MintRecord>, LedgerError> {
        let row = sqlx::query(
            "SELECT entity_name, metadata, caller_hash, minted_at_unix_ms, name
             FROM minted_ids WHERE chitty_id = ?1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .context("looking up a minted ID")?;
        let Some(row) = row else {
            return Ok(None);
        };
        let caller_hex: String = row.try_get("caller_hash").context("reading caller_hash")?;
        Ok(Some(MintRecord {
            id: *id,
            entity_name: row.try_get("entity_name").context("reading entity_name")?,
            name: row.try_get("name").context("reading name")?,
            metadata: row.try_get("metadata").context("reading metadata")?,
            caller: CallerHash::from_hex(&caller_hex).with_context(|| {
                format!("caller_hash {caller_hex:?} is not a SHA-256 hex digest")
            })?,
            minted_at_unix_ms: row
                .try_get("minted_at_unix_ms")
                .context("reading minted_at_unix_ms")?,
        }))
    }
}

/// The audit log in the same file, written by the same writer.
impl AuditSink for SqliteStore {
    async fn record(&self, event: AuditEvent) -> Result<(), AuditError> {
        self.writer.audit(event).await
    }

    fn record_detached(&self, event: AuditEvent) {
        self.writer.audit_detached(event);
    }

    fn dropped(&self) -> u64 {
        self.writer.stats().audit_dropped()
    }

    async fn flush(&self) -> Result<(), AuditError> {
        self.writer
            .flush()
            .await
            .map_err(|_| AuditError::Unavailable)
    }

    /// Reads the guard: no write, no wait.
    async fn health(&self) -> Result<(), AuditError> {
        self.writable().map_err(AuditError::Unknown)
    }
}

impl SqliteStore {
    /// The most recent audit events, newest first.
    pub async fn recent_audit_events(&self, limit: u32) -> anyhow::Result<Vec<StoredAuditEvent>> {
        let rows = sqlx::query(
            "SELECT at_unix_ms, action, caller_hash, outcome, ids, entity
             FROM audit_events ORDER BY id DESC LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .context("reading audit events")?;
        rows.into_iter()
            .map(|row| {
                let ids: String = row.try_get("ids")?;
                Ok(StoredAuditEvent {
                    at_unix_ms: row.try_get("at_unix_ms")?,
                    action: row.try_get("action")?,
                    caller_hash: row.try_get("caller_hash")?,
                    outcome: row.try_get("outcome")?,
                    ids: serde_json::from_str(&ids)?,
                    entity: row.try_get("entity")?,
                })
            })
            .collect()
    }
}
