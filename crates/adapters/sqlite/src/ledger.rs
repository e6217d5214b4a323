//! The SQLite side of the shared group committer (`chittyid-storage`): the statements, begin
//! and commit. The writer runs on a thread of its own with a connection of its own (rusqlite,
//! on the same SQLite library sqlx links): a group is `BEGIN IMMEDIATE`, one prepared
//! statement per table and `COMMIT`, made on that thread, so a mint costs no thread hand-off
//! per statement. sqlx keeps the readers, the migrations and the jobs run on the writer (block
//! reservations, idempotency keys), which run between groups and so never wait on this
//! process's own write lock.
//!
//! Transactions for those jobs are begun and ended with plain `BEGIN IMMEDIATE` / `COMMIT` /
//! `ROLLBACK` rather than sqlx's `Transaction`: when a commit fails (`SQLITE_FULL`), SQLite may
//! or may not have rolled back, and the connection must be brought back outside any
//! transaction (or closed), or every later write fails until restart.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chittyid_app::authority::{CallerHash, KeptMint, LedgerError, MintKey, MintLedger, MintRecord};
use chittyid_app::gateway::{AuditError, AuditEvent, AuditSink, StoredAuditEvent};
use chittyid_domain::ChittyId;
use chittyid_storage::{Backend, BackendError, GroupRows};
use rusqlite::{Connection, TransactionBehavior};
use sqlx::pool::PoolConnection;
use sqlx::{Row, Sqlite, SqlitePool};

use crate::store::SqliteStore;

// A group is one statement per row, each prepared once and cached: SQLite runs in this
// process, so a statement costs no round trip, and binding a row is cheaper than parsing it out
// of JSON (measured in BENCHMARKS.md).

/// Takes a key unless an unexpired mint holds it; returns a row if it took it.
const TAKE_KEY: &str =
    "INSERT INTO mint_keys (caller_hash, key, request_hash, ids, expires_at_unix_ms)
    VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (caller_hash, key) DO UPDATE
        SET request_hash = excluded.request_hash, ids = excluded.ids,
            expires_at_unix_ms = excluded.expires_at_unix_ms
        WHERE mint_keys.expires_at_unix_ms <= ?6
    RETURNING 1";

/// A mint, with its leaf's index in the mint log.
const RECORD_MINT: &str = "INSERT INTO minted_ids
        (chitty_id, entity_name, entity_type, metadata, caller_hash, minted_at_unix_ms, name,
         log_index)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// A mint's leaf hash, appended to the log.
const APPEND_LEAF: &str = "INSERT INTO log_leaves (idx, hash) VALUES (?1, ?2)";

/// The log's size: its leaves are numbered from 0 without gaps (the writer's transaction holds
/// the file's write lock, so no other process appends meanwhile).
pub(crate) const LOG_SIZE: &str = "SELECT coalesce(max(idx) + 1, 0) FROM log_leaves";

const RECORD_AUDIT: &str =
    "INSERT INTO audit_events (at_unix_ms, action, caller_hash, outcome, ids, entity)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

const WRITE_PROBE: &str = "INSERT INTO health_probe (id, at_unix_ms) VALUES (1, ?1)
    ON CONFLICT (id) DO UPDATE SET at_unix_ms = excluded.at_unix_ms";

/// The writer's own connection to the file, opened (again, after a failure) when needed.
#[derive(Debug)]
pub(crate) struct SqliteBackend {
    pool: SqlitePool,
    path: PathBuf,
    busy_timeout: Duration,
    /// `synchronous` for the writer's connection (`FULL` or `NORMAL`).
    synchronous: &'static str,
    conn: Option<Connection>,
}

impl SqliteBackend {
    pub(crate) fn new(
        pool: SqlitePool,
        path: &Path,
        busy_timeout: Duration,
        synchronous: &'static str,
    ) -> Self {
        Self {
            pool,
            path: path.to_owned(),
            busy_timeout,
            synchronous,
            conn: None,
        }
    }

    fn connection(&mut self) -> Result<&mut Connection, BackendError> {
        if self.conn.is_none() {
            let conn = Connection::open(&self.path)
                .and_then(|conn| {
                    // WAL, and a commit synced before it returns (FULL: a committed mint
                    // survives a crash of the process or the machine) or handed to the
                    // operating system (NORMAL: it survives a crash of the process).
                    conn.pragma_update(None, "journal_mode", "WAL")?;
                    conn.pragma_update(None, "synchronous", self.synchronous)?;
                    conn.busy_timeout(self.busy_timeout)?;
                    Ok(conn)
                })
                .map_err(|err| store_error(err, "opening the writer's connection"))?;
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("opened above"))
    }
}

fn store_error(err: rusqlite::Error, doing: &'static str) -> BackendError {
    BackendError::Store(anyhow::Error::new(err).context(doing))
}

/// A row that repeats a stored one (an ID recorded twice) is the group's fault; anything else
/// (a full disk, a lock held past the busy timeout) the store's.
fn classify(err: rusqlite::Error) -> BackendError {
    let conflict = matches!(
        &err,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    );
    if conflict {
        BackendError::Conflict(err.to_string())
    } else {
        store_error(err, "writing to the SQLite store")
    }
}

/// One group in one transaction. Whatever fails, the connection is left outside a
/// transaction: a failed statement or commit is rolled back unless SQLite already did.
///
/// `BEGIN IMMEDIATE` and `COMMIT` are cached statements rather than rusqlite's `Transaction`,
/// which parses both texts again for every group (measured: a third of a one-row group's
/// instructions).
fn write_group(conn: &Connection, rows: &GroupRows<'_>) -> Result<(), BackendError> {
    conn.prepare_cached("BEGIN IMMEDIATE")
        .and_then(|mut begin| begin.execute([]))
        .map_err(classify)?;
    let written = write_rows(conn, rows).and_then(|()| {
        conn.prepare_cached("COMMIT")
            .and_then(|mut commit| commit.execute([]))
            .map(drop)
            .map_err(classify)
    });
    if written.is_err() && !conn.is_autocommit() {
        // If this fails too, the caller finds the connection still in a transaction.
        let _ = conn.execute_batch("ROLLBACK");
    }
    written
}

fn write_rows(tx: &Connection, rows: &GroupRows<'_>) -> Result<(), BackendError> {
    if !rows.keys.is_empty() {
        let mut take = tx.prepare_cached(TAKE_KEY).map_err(classify)?;
        for key in &rows.keys {
            let taken = take
                .query(rusqlite::params![
                    key.caller_hash,
                    key.key,
                    key.request_hash,
                    key.ids,
                    key.expires_at_unix_ms,
                    rows.keys_free_before_unix_ms
                ])
                .map_err(classify)?
                .next()
                .map_err(classify)?
                .is_some();
            if !taken {
                return Err(BackendError::KeyTaken);
            }
        }
    }
    if !rows.records.is_empty() {
        let size: i64 = tx
            .prepare_cached(LOG_SIZE)
            .and_then(|mut read| read.query_row([], |row| row.get(0)))
            .map_err(classify)?;
        let mut record = tx.prepare_cached(RECORD_MINT).map_err(classify)?;
        let mut append = tx.prepare_cached(APPEND_LEAF).map_err(classify)?;
        for (index, row) in (size..).zip(&rows.records) {
            record
                .execute(rusqlite::params![
                    row.chitty_id,
                    row.entity_name,
                    row.entity_type,
                    row.metadata,
                    row.caller_hash,
                    row.minted_at_unix_ms,
                    row.name,
                    index
                ])
                .map_err(classify)?;
            append
                .execute(rusqlite::params![index, row.leaf_hash])
                .map_err(classify)?;
        }
    }
    if !rows.audits.is_empty() {
        let mut insert = tx.prepare_cached(RECORD_AUDIT).map_err(classify)?;
        for row in &rows.audits {
            insert
                .execute(rusqlite::params![
                    row.at_unix_ms,
                    row.action,
                    row.caller_hash,
                    row.outcome,
                    row.ids,
                    row.entity
                ])
                .map_err(classify)?;
        }
    }
    Ok(())
}

/// The health probe: a read of the counters and one row rewritten, in one transaction.
fn write_probe(conn: &mut Connection, now_ms: i64) -> Result<(), BackendError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(classify)?;
    tx.prepare_cached("SELECT 1 FROM sequence_spaces LIMIT 1")
        .and_then(|mut read| read.exists([]))
        .map_err(classify)?;
    tx.prepare_cached(WRITE_PROBE)
        .and_then(|mut write| write.execute([now_ms]))
        .map_err(classify)?;
    tx.commit().map_err(classify)
}

impl Backend for SqliteBackend {
    type Handle = SqlitePool;

    fn handle(&self) -> SqlitePool {
        self.pool.clone()
    }

    // Blocking calls in an async fn: this backend runs on the writer's own thread and runtime
    // (`GroupWriter::start_on_thread`), where blocking is what the thread is for.
    async fn commit(&mut self, rows: &GroupRows<'_>) -> Result<(), BackendError> {
        let conn = self.connection()?;
        let written = write_group(conn, rows);
        if !conn.is_autocommit() {
            // Still in a transaction after a failed rollback: not trusted with the next group.
            self.conn = None;
        }
        written
    }

    async fn probe(&mut self, now_unix_ms: i64) -> Result<(), BackendError> {
        write_probe(self.connection()?, now_unix_ms)
    }

    fn discard(&mut self) {
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

    /// On the writer, between groups. Looks only at the `limit` oldest rows (by rowid, the
    /// order they were written in), so a sweep costs what it deletes.
    async fn expire(&self, before_unix_ms: i64, limit: u32) -> Result<u64, AuditError> {
        let deleted = self
            .writer
            .run(move |pool| {
                Box::pin(async move {
                    sqlx::query(EXPIRE_AUDITS)
                        .bind(before_unix_ms)
                        .bind(i64::from(limit))
                        .execute(&pool)
                        .await
                        .map(|done| done.rows_affected())
                })
            })
            .await?
            .context("expiring audit events")?;
        Ok(deleted)
    }
}

/// The oldest `limit` audit rows that are older than the retention.
const EXPIRE_AUDITS: &str = "DELETE FROM audit_events WHERE id IN
    (SELECT id FROM (SELECT id, at_unix_ms FROM audit_events ORDER BY id LIMIT $2)
     WHERE at_unix_ms < $1)";

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Durability;

    /// `PRAGMA synchronous`: 1 is NORMAL, 2 is FULL.
    fn writer_synchronous(store_path: &Path, pool: &SqlitePool, pragma: &'static str) -> i64 {
        let mut backend =
            SqliteBackend::new(pool.clone(), store_path, Duration::from_secs(1), pragma);
        let conn = backend.connection().expect("opens");
        conn.query_row("PRAGMA synchronous", [], |row| row.get(0))
            .expect("reads the pragma")
    }

    #[tokio::test]
    async fn commits_are_synced_as_the_durability_says() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (durability, level) in [(Durability::ProcessCrash, 1), (Durability::PowerLoss, 2)] {
            let path = dir.path().join(format!("{}.db", durability.name()));
            let store = SqliteStore::open_with(&path, durability)
                .await
                .expect("opens");
            assert_eq!(store.durability(), durability);
            let pool_level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&store.pool)
                .await
                .expect("reads the pragma");
            assert_eq!(pool_level, level, "{durability:?}: the readers and jobs");
            assert_eq!(
                writer_synchronous(&path, &store.pool, durability.pragma()),
                level,
                "{durability:?}: the group committer"
            );
        }
        let default = SqliteStore::open(&dir.path().join("default.db"))
            .await
            .expect("opens");
        assert_eq!(default.durability(), Durability::PowerLoss);
    }
}
