//! The writer: one task makes every write of this process. Concurrent mints queue their records
//! and the writer commits everything queued in a single transaction (group commit), so
//! throughput is not one transaction (one fsync) per mint; a mint is answered only after its
//! transaction commits. Block reservations go through the same queue, between transactions, so
//! they never wait on this process's own write lock. Audit events take the same path: `record`
//! returns once its event is committed, so an acknowledged request is an audited one.
//!
//! Transactions are begun and ended with plain `BEGIN IMMEDIATE` / `COMMIT` / `ROLLBACK` on one
//! connection rather than sqlx's `Transaction`: when a commit fails (`SQLITE_FULL`), SQLite may
//! or may not have rolled back, and the connection must go back to the pool outside any
//! transaction (or be closed), or every later write fails until restart.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use anyhow::Context;
use chittyid_app::authority::{CallerHash, KeptMint, LedgerError, MintKey, MintLedger, MintRecord};
use chittyid_app::gateway::{AuditError, AuditEvent, AuditSink, StoredAuditEvent};
use chittyid_domain::ChittyId;
use sqlx::pool::PoolConnection;
use sqlx::{Row, Sqlite, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::store::SqliteStore;

/// Rows per INSERT statement (six parameters each at most, well under SQLite's limit).
const ROWS_PER_STATEMENT: usize = 200;
/// Records committed in one transaction at most; more wait for the next.
const MAX_GROUP_RECORDS: usize = 2_000;
/// Queued requests before `record` callers wait for room (backpressure).
const QUEUE_DEPTH: usize = 4_096;

/// Write counters, to show what a mint costs.
#[derive(Debug, Default)]
pub struct StoreStats {
    transactions: AtomicU64,
    records: AtomicU64,
    blocks: AtomicU64,
    /// Whether the last commit of records or audit events failed.
    commit_failed: AtomicBool,
}

impl StoreStats {
    pub fn transactions(&self) -> u64 {
        self.transactions.load(Ordering::Relaxed)
    }

    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }

    /// Sequence blocks reserved (each one write).
    pub fn blocks(&self) -> u64 {
        self.blocks.load(Ordering::Relaxed)
    }

    /// Whether the last commit of records or audit events failed (none has succeeded since).
    pub fn last_commit_failed(&self) -> bool {
        self.commit_failed.load(Ordering::Relaxed)
    }

    pub(crate) fn record_block(&self) {
        self.blocks.fetch_add(1, Ordering::Relaxed);
    }
}

struct Pending {
    records: Vec<MintRecord>,
    key: Option<MintKey>,
    done: oneshot::Sender<Result<(), WriteError>>,
}

/// Why a write failed: the one failure a caller acts on, or anything else, as text.
#[derive(Debug)]
enum WriteError {
    KeyTaken,
    Other(String),
}

impl WriteError {
    fn from_anyhow(err: &anyhow::Error) -> Self {
        if err.downcast_ref::<KeyTaken>().is_some() {
            Self::KeyTaken
        } else {
            Self::Other(format!("{err:#}"))
        }
    }
}

/// Raised inside a transaction when a mint's key is held by an unexpired mint.
#[derive(Debug, thiserror::Error)]
#[error("the idempotency key is taken")]
struct KeyTaken;

struct PendingAudit {
    events: Vec<AuditEvent>,
    done: oneshot::Sender<Result<(), String>>,
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;
type WriteJob = Box<dyn FnOnce(SqlitePool) -> BoxFuture<()> + Send>;

/// A write to make: the writer runs other writes as they come, batches records and audit
/// events into one transaction, and answers flushes once what came before is committed.
enum Job {
    Record(Pending),
    Audit(PendingAudit),
    Run(WriteJob),
}

#[derive(Debug)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    pub(crate) fn start(pool: SqlitePool, stats: std::sync::Arc<StoreStats>) -> Self {
        let (queue, mut receiver) = mpsc::channel::<Job>(QUEUE_DEPTH);
        tokio::spawn(async move {
            let mut group = Vec::new();
            let mut audits = Vec::new();
            while let Some(first) = receiver.recv().await {
                let mut next = Some(first);
                let mut size = 0;
                while let Some(job) = next.take() {
                    match job {
                        Job::Run(write) => {
                            // Awaited here: it holds the write lock briefly, then records resume.
                            write(pool.clone()).await;
                        }
                        Job::Record(pending) => {
                            size += pending.records.len();
                            group.push(pending);
                        }
                        Job::Audit(pending) => {
                            size += pending.events.len();
                            audits.push(pending);
                        }
                    }
                    if size < MAX_GROUP_RECORDS {
                        next = receiver.try_recv().ok();
                    }
                }
                if !group.is_empty() || !audits.is_empty() {
                    commit_group(&pool, &stats, &mut group, &mut audits).await;
                }
            }
        });
        Self { queue }
    }

    /// Runs `write` on the writer, between transactions, and returns its answer.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        write: impl FnOnce(SqlitePool) -> BoxFuture<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let (done, answer) = oneshot::channel();
        let job: WriteJob = Box::new(move |pool| {
            Box::pin(async move {
                let _ = done.send(write(pool).await);
            })
        });
        self.queue
            .send(Job::Run(job))
            .await
            .map_err(|_| anyhow::anyhow!("the store writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the store writer dropped a job"))
    }
}

/// Commits the whole group, and the audit events that came with it, in one transaction; if
/// that fails, each request is tried in its own so that one bad request cannot fail the others.
async fn commit_group(
    pool: &SqlitePool,
    stats: &StoreStats,
    group: &mut Vec<Pending>,
    audits: &mut Vec<PendingAudit>,
) {
    let all: Vec<&MintRecord> = group.iter().flat_map(|p| &p.records).collect();
    let keys: Vec<(&MintKey, Vec<ChittyId>)> = group
        .iter()
        .filter_map(|p| {
            p.key
                .as_ref()
                .map(|key| (key, p.records.iter().map(|r| r.id).collect()))
        })
        .collect();
    let events: Vec<&AuditEvent> = audits.iter().flat_map(|p| &p.events).collect();
    let together = group.len() + audits.len() > 1;
    if together && insert(pool, stats, &all, &keys, &events).await.is_ok() {
        for pending in group.drain(..) {
            let _ = pending.done.send(Ok(()));
        }
        for pending in audits.drain(..) {
            let _ = pending.done.send(Ok(()));
        }
        return;
    }
    for pending in group.drain(..) {
        let records: Vec<&MintRecord> = pending.records.iter().collect();
        let ids = pending.records.iter().map(|r| r.id).collect();
        let keys: Vec<(&MintKey, Vec<ChittyId>)> = pending
            .key
            .as_ref()
            .map(|key| (key, ids))
            .into_iter()
            .collect();
        let result = insert(pool, stats, &records, &keys, &[])
            .await
            .map_err(|e| WriteError::from_anyhow(&e));
        let _ = pending.done.send(result);
    }
    for pending in audits.drain(..) {
        let events: Vec<&AuditEvent> = pending.events.iter().collect();
        let result = insert(pool, stats, &[], &[], &events)
            .await
            .map_err(|e| format!("{e:#}"));
        if let Err(err) = &result {
            tracing::error!(error = %err, events = events.len(), "audit events could not be stored; their requests fail");
        }
        let _ = pending.done.send(result);
    }
}

async fn insert(
    pool: &SqlitePool,
    stats: &StoreStats,
    records: &[&MintRecord],
    keys: &[(&MintKey, Vec<ChittyId>)],
    audits: &[&AuditEvent],
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await.context("taking a connection")?;
    let written = match begin(&mut conn).await {
        Ok(()) => write_rows(&mut conn, records, keys, audits).await,
        Err(err) => Err(err),
    };
    finish(conn, written).await.inspect_err(|err| {
        // A key held by another mint is an answer, not a store that cannot commit: only other
        // failures make health checks fail.
        if err.downcast_ref::<KeyTaken>().is_none() {
            stats.commit_failed.store(true, Ordering::Relaxed);
        }
    })?;
    stats.commit_failed.store(false, Ordering::Relaxed);
    stats.transactions.fetch_add(1, Ordering::Relaxed);
    stats
        .records
        .fetch_add(records.len() as u64, Ordering::Relaxed);
    Ok(())
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
        // "no transaction is active" means SQLite rolled back by itself: the connection is
        // clean. Anything else: do not trust it.
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

async fn write_rows(
    conn: &mut PoolConnection<Sqlite>,
    records: &[&MintRecord],
    keys: &[(&MintKey, Vec<ChittyId>)],
    audits: &[&AuditEvent],
) -> anyhow::Result<()> {
    // Many rows per statement: sqlx's SQLite driver costs tens of microseconds per statement,
    // more than the insert itself, and a group holds dozens of mints.
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        // Takes each key unless an unexpired mint holds it; RETURNING gives one row per key
        // taken, so a shortfall means one was held (the group then retries one by one).
        let encoded = chunk
            .iter()
            .map(|(_, ids)| {
                let ids: Vec<&str> = ids.iter().map(ChittyId::as_str).collect();
                serde_json::to_string(&ids).context("encoding key IDs")
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let earliest = chunk
            .iter()
            .map(|(key, _)| key.taken_at_unix_ms)
            .min()
            .unwrap_or(i64::MIN);
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO mint_keys (caller_hash, key, request_hash, ids, expires_at_unix_ms) ",
        );
        insert.push_values(chunk.iter().zip(&encoded), |mut row, ((key, _), ids)| {
            row.push_bind(key.caller.to_hex())
                .push_bind(key.key.as_str())
                .push_bind(hex(&key.request_hash))
                .push_bind(ids.as_str())
                .push_bind(key.expires_at_unix_ms);
        });
        insert
            .push(
                " ON CONFLICT (caller_hash, key) DO UPDATE
                   SET request_hash = excluded.request_hash, ids = excluded.ids,
                       expires_at_unix_ms = excluded.expires_at_unix_ms
                   WHERE mint_keys.expires_at_unix_ms <= ",
            )
            .push_bind(earliest)
            .push(" RETURNING 1");
        let taken = insert
            .build()
            .fetch_all(&mut **conn)
            .await
            .context("taking idempotency keys")?;
        if taken.len() < chunk.len() {
            return Err(KeyTaken.into());
        }
    }
    for chunk in records.chunks(ROWS_PER_STATEMENT) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO minted_ids
                 (chitty_id, entity_name, entity_type, metadata, caller_hash, minted_at_unix_ms, name) ",
        );
        insert.push_values(chunk, |mut row, record| {
            row.push_bind(record.id.as_str())
                .push_bind(record.entity_name.as_str())
                .push_bind(record.id.entity_type().letter().to_string())
                .push_bind(record.metadata.as_deref())
                .push_bind(record.caller.to_hex())
                .push_bind(record.minted_at_unix_ms)
                .push_bind(record.name.clone());
        });
        insert
            .build()
            .execute(&mut **conn)
            .await
            .context("recording minted IDs")?;
    }
    // Many rows per statement: audit events come in hundreds.
    for chunk in audits.chunks(ROWS_PER_STATEMENT) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO audit_events (at_unix_ms, action, caller_hash, outcome, ids, entity) ",
        );
        let mut encoded = Vec::with_capacity(chunk.len());
        for event in chunk {
            encoded.push(serde_json::to_string(&event.ids).context("encoding audit IDs")?);
        }
        insert.push_values(chunk.iter().zip(&encoded), |mut row, (event, ids)| {
            row.push_bind(event.at_unix_ms)
                .push_bind(event.action)
                .push_bind(event.caller.to_hex())
                .push_bind(event.outcome)
                .push_bind(ids.as_str())
                .push_bind(event.entity.as_deref());
        });
        insert
            .build()
            .execute(&mut **conn)
            .await
            .context("recording audit events")?;
    }
    Ok(())
}

/// The health check: a read of the counters and one row rewritten, in one transaction.
pub(crate) async fn probe(pool: &SqlitePool, now_ms: i64) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await.context("taking a connection")?;
    let written = match begin(&mut conn).await {
        Ok(()) => probe_rows(&mut conn, now_ms).await,
        Err(err) => Err(err),
    };
    finish(conn, written).await
}

async fn probe_rows(conn: &mut PoolConnection<Sqlite>, now_ms: i64) -> anyhow::Result<()> {
    sqlx::query("SELECT 1 FROM sequence_spaces LIMIT 1")
        .execute(&mut **conn)
        .await
        .context("reading the counters")?;
    sqlx::query(
        "INSERT INTO health_probe (id, at_unix_ms) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET at_unix_ms = excluded.at_unix_ms",
    )
    .bind(now_ms)
    .execute(&mut **conn)
    .await
    .context("writing the health probe")?;
    Ok(())
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
        let (done, answer) = oneshot::channel();
        self.writer
            .queue
            .send(Job::Record(Pending { records, key, done }))
            .await
            .map_err(|_| anyhow::anyhow!("the store writer has stopped"))?;
        let outcome = answer
            .await
            .map_err(|_| anyhow::anyhow!("the store writer dropped a request"))?;
        outcome.map_err(|err| match err {
            WriteError::KeyTaken => LedgerError::KeyTaken,
            WriteError::Other(message) => LedgerError::Unknown(anyhow::anyhow!(message)),
        })
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

/// The audit log in the same file: `record` returns once its event is committed (grouped with
/// whatever else the writer has), so an acknowledged request has its audit row; if the event
/// cannot be committed, `record` fails and so does the request.
impl AuditSink for SqliteStore {
    async fn record(&self, event: AuditEvent) -> Result<(), AuditError> {
        let (done, answer) = oneshot::channel();
        self.writer
            .queue
            .send(Job::Audit(PendingAudit {
                events: vec![event],
                done,
            }))
            .await
            .map_err(|_| AuditError::Unavailable)?;
        let outcome = answer.await.map_err(|_| AuditError::Unavailable)?;
        outcome.map_err(|message| AuditError::Unknown(anyhow::anyhow!(message)))
    }

    /// Every recorded event is already committed; this waits for the writer to finish what is
    /// queued before it.
    async fn flush(&self) -> Result<(), AuditError> {
        self.writer
            .run(|_| Box::pin(async {}))
            .await
            .map_err(|_| AuditError::Unavailable)
    }

    async fn health(&self) -> Result<(), AuditError> {
        self.probe_write().await.map_err(AuditError::Unknown)
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
