//! The PostgreSQL side of the shared group committer (`chittyid-storage`): the statements,
//! begin and commit. The writer owns one connection of its own (not the pool's, so a pool
//! waiting for a server that went away never holds it up); a group is one statement for every
//! table (data-modifying CTEs over `json_to_recordset`), inside `BEGIN`/`COMMIT` only when it
//! takes idempotency keys (a key held by another mint must undo the rest).

use anyhow::Context;
use chittyid_app::authority::{CallerHash, KeptMint, LedgerError, MintKey, MintLedger, MintRecord};
use chittyid_app::gateway::{AuditError, AuditEvent, AuditSink, StoredAuditEvent};
use chittyid_domain::ChittyId;
use chittyid_storage::{Backend, BackendError, GroupRows};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool, Row};

use crate::store::PgStore;

/// Every table of a group in one statement. PostgreSQL runs each data-modifying CTE to
/// completion whether or not it is read; the count of keys taken tells whether one was held.
/// The mints' leaves are numbered from the log's head, whose row lock (held to the commit)
/// orders the appends of every authority on the database, so indexes never repeat or skip;
/// a group without mints does not touch it. The group's leaf hashes go in as one run.
const WRITE_GROUP: &str = "WITH taken AS (
    INSERT INTO mint_keys (caller_hash, key, request_hash, ids, expires_at_unix_ms)
    SELECT caller_hash, key, request_hash, ids, expires_at_unix_ms
    FROM json_to_recordset($1::json) AS r(caller_hash text, key text, request_hash text,
                                         ids text, expires_at_unix_ms bigint)
    ON CONFLICT (caller_hash, key) DO UPDATE
        SET request_hash = excluded.request_hash, ids = excluded.ids,
            expires_at_unix_ms = excluded.expires_at_unix_ms
        WHERE mint_keys.expires_at_unix_ms <= $2
    RETURNING 1
), head AS (
    UPDATE log_head SET size = size + $5 WHERE id = 1 AND $5 > 0 RETURNING size - $5 AS start
), records AS (
    SELECT r.*, head.start + r.ord - 1 AS log_index
    FROM head, ROWS FROM (json_to_recordset($3::json) AS (chitty_id text, entity_name text,
                          entity_type text, metadata text, caller_hash text,
                          minted_at_unix_ms bigint, name text))
         WITH ORDINALITY AS r(chitty_id, entity_name, entity_type, metadata, caller_hash,
                              minted_at_unix_ms, name, ord)
), minted AS (
    INSERT INTO minted_ids (chitty_id, entity_name, entity_type, metadata, caller_hash,
                            minted_at_unix_ms, name, log_index)
    SELECT chitty_id, entity_name, entity_type, metadata, caller_hash, minted_at_unix_ms, name,
           log_index
    FROM records
), logged AS (
    INSERT INTO log_leaf_runs (start_idx, hashes) SELECT start, $6::bytea FROM head
), audited AS (
    INSERT INTO audit_events (at_unix_ms, action, caller_hash, outcome, ids, entity)
    SELECT at_unix_ms, action, caller_hash, outcome, ids, entity
    FROM json_to_recordset($4::json) AS r(at_unix_ms bigint, action text, caller_hash text,
                                         outcome text, ids text, entity text)
)
SELECT count(*) FROM taken";

const WRITE_PROBE: &str = "INSERT INTO health_probe (id, at_unix_ms) VALUES (1, $1)
    ON CONFLICT (id) DO UPDATE SET at_unix_ms = excluded.at_unix_ms";

#[derive(Debug)]
pub(crate) struct PgBackend {
    pool: PgPool,
    options: PgConnectOptions,
    conn: Option<PgConnection>,
}

impl PgBackend {
    pub(crate) fn new(pool: PgPool, options: PgConnectOptions) -> Self {
        Self {
            pool,
            options,
            conn: None,
        }
    }

    /// The writer's connection, and whether it was opened just now.
    async fn connection(&mut self) -> Result<(&mut PgConnection, bool), BackendError> {
        let (conn, fresh) = match self.conn.take() {
            Some(conn) => (conn, false),
            None => (
                PgConnection::connect_with(&self.options)
                    .await
                    .map_err(|err| store_error(err, "connecting the writer to PostgreSQL"))?,
                true,
            ),
        };
        Ok((self.conn.insert(conn), fresh))
    }

    async fn write_group(&mut self, rows: &GroupRows<'_>) -> Result<(), BackendError> {
        let json = rows.json()?;
        let (conn, fresh) = self.connection().await?;
        let classify = |err| classify(err, fresh);
        let statement = sqlx::query_scalar::<_, i64>(WRITE_GROUP)
            .bind(json.keys.as_str())
            .bind(rows.keys_free_before_unix_ms)
            .bind(json.records.as_str())
            .bind(json.audits.as_str())
            .bind(i64::try_from(rows.records.len()).unwrap_or(i64::MAX))
            .bind(rows.leaf_hashes());
        if rows.keys.is_empty() {
            // One statement is one transaction: nothing to undo, nothing to wrap.
            statement.fetch_one(&mut *conn).await.map_err(classify)?;
            return Ok(());
        }
        sqlx::query("BEGIN")
            .execute(&mut *conn)
            .await
            .map_err(classify)?;
        let written = match statement.fetch_one(&mut *conn).await {
            Ok(taken) if usize::try_from(taken).unwrap_or(0) < rows.keys.len() => {
                Err(BackendError::KeyTaken)
            }
            Ok(_) => sqlx::query("COMMIT")
                .execute(&mut *conn)
                .await
                .map(|_| ())
                .map_err(classify),
            Err(err) => Err(classify(err)),
        };
        if written.is_err() && sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
            // A connection that cannot roll back is not trusted with the next group.
            self.conn = None;
        }
        written
    }
}

fn store_error(err: sqlx::Error, doing: &'static str) -> BackendError {
    BackendError::Store(anyhow::Error::new(err).context(doing))
}

/// A unique violation is the group's fault (an ID recorded twice). A connection that was
/// working and broke (the server ended it, or the socket failed) is `Disconnected`: a new one
/// may work at once. Anything else, or any failure on a connection opened just now, is the
/// store's.
fn classify(err: sqlx::Error, fresh: bool) -> BackendError {
    let broke = match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            return BackendError::Conflict(db.message().to_owned());
        }
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_) => true,
        _ => false,
    };
    if broke && !fresh {
        BackendError::Disconnected(anyhow::Error::new(err).context("writing to PostgreSQL"))
    } else {
        store_error(err, "writing to PostgreSQL")
    }
}

impl Backend for PgBackend {
    type Handle = PgPool;

    fn handle(&self) -> PgPool {
        self.pool.clone()
    }

    async fn commit(&mut self, rows: &GroupRows<'_>) -> Result<(), BackendError> {
        let written = self.write_group(rows).await;
        if matches!(
            written,
            Err(BackendError::Store(_) | BackendError::Disconnected(_))
        ) {
            // The connection may be the broken part: the next call opens a new one.
            self.conn = None;
        }
        written
    }

    async fn probe(&mut self, now_unix_ms: i64) -> Result<(), BackendError> {
        let (conn, fresh) = self.connection().await?;
        let probed = sqlx::query(WRITE_PROBE)
            .bind(now_unix_ms)
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(|err| classify(err, fresh));
        if probed.is_err() {
            self.conn = None;
        }
        probed
    }

    fn discard(&mut self) {
        self.conn = None;
    }
}

pub(crate) use chittyid_app::authority::to_hex as hex;

/// A refusal by the guard is `Unavailable` (answered at once, logged once); anything else is
/// the store's failure.
fn ledger_error(err: anyhow::Error) -> LedgerError {
    match err.downcast_ref::<chittyid_storage::StoreDown>() {
        Some(down) => LedgerError::Unavailable {
            retry_after: down.retry_after,
        },
        None => LedgerError::Unknown(err),
    }
}

impl MintLedger for PgStore {
    async fn record(
        &self,
        records: Vec<MintRecord>,
        key: Option<MintKey>,
    ) -> Result<(), LedgerError> {
        self.writer.record(records, key).await
    }

    async fn find(&self, id: &ChittyId) -> Result<Option<MintRecord>, LedgerError> {
        let row = self
            .guarded(
                sqlx::query(
                    "SELECT entity_name, metadata, caller_hash, minted_at_unix_ms, name
                     FROM minted_ids WHERE chitty_id = $1",
                )
                .bind(id.as_str())
                .fetch_optional(&self.pool),
            )
            .await
            .context("looking up a minted ID")
            .map_err(ledger_error)?;
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

    async fn find_key(
        &self,
        caller: CallerHash,
        key: &str,
        now_unix_ms: i64,
    ) -> Result<Option<KeptMint>, LedgerError> {
        let row = self
            .guarded(
                sqlx::query(
                    "SELECT request_hash, ids FROM mint_keys
                     WHERE caller_hash = $1 AND key = $2 AND expires_at_unix_ms > $3",
                )
                .bind(caller.to_hex())
                .bind(key)
                .bind(now_unix_ms)
                .fetch_optional(&self.pool),
            )
            .await
            .context("looking up an idempotency key")
            .map_err(ledger_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let request_hash: String = row
            .try_get("request_hash")
            .context("reading request_hash")?;
        let ids: String = row.try_get("ids").context("reading ids")?;
        let ids: Vec<String> = serde_json::from_str(&ids).context("decoding key IDs")?;
        Ok(Some(KeptMint {
            request_hash: CallerHash::from_hex(&request_hash)
                .map(|hash| hash.0)
                .context("request_hash is not a SHA-256 hex digest")?,
            ids: ids
                .iter()
                .map(|id| ChittyId::parse(id).with_context(|| format!("a kept ID {id:?}")))
                .collect::<anyhow::Result<_>>()?,
        }))
    }
}

/// The audit log, written by the same writer as the ledger.
impl AuditSink for PgStore {
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

    /// Looks only at the `limit` oldest rows (by id, the order they were written in), so a
    /// sweep costs what it deletes.
    async fn expire(&self, before_unix_ms: i64, limit: u32) -> Result<u64, AuditError> {
        let deleted = self
            .guarded(
                sqlx::query(
                    "DELETE FROM audit_events WHERE id IN
                        (SELECT id FROM (SELECT id, at_unix_ms FROM audit_events
                                         ORDER BY id LIMIT $2) AS oldest
                         WHERE at_unix_ms < $1)",
                )
                .bind(before_unix_ms)
                .bind(i64::from(limit))
                .execute(&self.pool),
            )
            .await
            .context("expiring audit events")?;
        Ok(deleted.rows_affected())
    }
}

impl PgStore {
    /// The most recent audit events, newest first.
    pub async fn recent_audit_events(&self, limit: u32) -> anyhow::Result<Vec<StoredAuditEvent>> {
        let rows = sqlx::query(
            "SELECT at_unix_ms, action, caller_hash, outcome, ids, entity
             FROM audit_events ORDER BY id DESC LIMIT $1",
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
