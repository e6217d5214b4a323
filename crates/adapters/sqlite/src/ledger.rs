//! The writer: one task makes every write of this process. Concurrent mints queue their records
//! and the writer commits everything queued in a single transaction (group commit), so
//! throughput is not one transaction (one fsync) per mint; a mint is answered only after its
//! transaction commits. Block reservations go through the same queue, between transactions, so
//! they never wait on this process's own write lock.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use chittyid_app::authority::{CallerHash, LedgerError, MintLedger, MintRecord};
use chittyid_app::gateway::{AuditError, AuditEvent, AuditSink};
use chittyid_domain::ChittyId;
use sqlx::{Row, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::store::SqliteStore;

/// Audit rows per INSERT statement (six parameters each, well under SQLite's limit).
const AUDIT_ROWS_PER_STATEMENT: usize = 200;
/// Records committed in one transaction at most; more wait for the next.
const MAX_GROUP_RECORDS: usize = 2_000;
/// How long the audit buffer collects events before handing them to the writer: a busy
/// gateway commits them in hundreds, and recording one costs a channel push, not a wake-up.
const AUDIT_DELAY: std::time::Duration = std::time::Duration::from_millis(100);
/// Queued requests before `record` callers wait for room (backpressure).
const QUEUE_DEPTH: usize = 4_096;

/// Write counters, to show what a mint costs.
#[derive(Debug, Default)]
pub struct StoreStats {
    transactions: AtomicU64,
    records: AtomicU64,
    blocks: AtomicU64,
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

    pub(crate) fn record_block(&self) {
        self.blocks.fetch_add(1, Ordering::Relaxed);
    }
}

struct Pending {
    records: Vec<MintRecord>,
    done: oneshot::Sender<Result<(), String>>,
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;
type WriteJob = Box<dyn FnOnce(SqlitePool) -> BoxFuture<()> + Send>;

/// A write to make: the writer runs other writes as they come, batches records and audit
/// events into one transaction, and answers flushes once what came before is committed.
enum Job {
    Record(Pending),
    /// A batch from the audit buffer, and the flushes waiting on it.
    Audits(Vec<AuditEvent>, Vec<oneshot::Sender<()>>),
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
            let mut flushes = Vec::new();
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
                        Job::Audits(events, flushed) => {
                            size += events.len();
                            audits.extend(events);
                            flushes.extend(flushed);
                        }
                    }
                    if size < MAX_GROUP_RECORDS {
                        next = receiver.try_recv().ok();
                    }
                }
                if !group.is_empty() || !audits.is_empty() {
                    commit_group(&pool, &stats, &mut group, &mut audits).await;
                }
                for done in flushes.drain(..) {
                    let _ = done.send(());
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
    audits: &mut Vec<AuditEvent>,
) {
    let all: Vec<&MintRecord> = group.iter().flat_map(|p| &p.records).collect();
    let together = group.len() > 1 || !audits.is_empty();
    if together && insert(pool, stats, &all, audits).await.is_ok() {
        for pending in group.drain(..) {
            let _ = pending.done.send(Ok(()));
        }
        audits.clear();
        return;
    }
    for pending in group.drain(..) {
        let records: Vec<&MintRecord> = pending.records.iter().collect();
        let result = insert(pool, stats, &records, &[])
            .await
            .map_err(|e| format!("{e:#}"));
        let _ = pending.done.send(result);
    }
    if !audits.is_empty() {
        if let Err(err) = insert(pool, stats, &[], audits).await {
            tracing::error!(error = %format!("{err:#}"), lost = audits.len(), "audit events could not be stored");
        }
        audits.clear();
    }
}

async fn insert(
    pool: &SqlitePool,
    stats: &StoreStats,
    records: &[&MintRecord],
    audits: &[AuditEvent],
) -> anyhow::Result<()> {
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .context("starting a transaction")?;
    for record in records {
        sqlx::query(
            "INSERT INTO minted_ids
                 (chitty_id, entity_name, entity_type, metadata, caller_hash, minted_at_unix_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(record.id.as_str())
        .bind(&record.entity_name)
        .bind(record.id.entity_type().letter().to_string())
        .bind(record.metadata.as_deref())
        .bind(record.caller.to_hex())
        .bind(record.minted_at_unix_ms)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("recording {}", record.id))?;
    }
    // Many rows per statement: audit events come in hundreds.
    for chunk in audits.chunks(AUDIT_ROWS_PER_STATEMENT) {
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
            .execute(&mut *tx)
            .await
            .context("recording audit events")?;
    }
    tx.commit().await.context("committing")?;
    stats.transactions.fetch_add(1, Ordering::Relaxed);
    stats
        .records
        .fetch_add(records.len() as u64, Ordering::Relaxed);
    Ok(())
}

impl MintLedger for SqliteStore {
    async fn record(&self, records: Vec<MintRecord>) -> Result<(), LedgerError> {
        let (done, answer) = oneshot::channel();
        self.writer
            .queue
            .send(Job::Record(Pending { records, done }))
            .await
            .map_err(|_| anyhow::anyhow!("the store writer has stopped"))?;
        let outcome = answer
            .await
            .map_err(|_| anyhow::anyhow!("the store writer dropped a request"))?;
        outcome.map_err(|message| LedgerError::Unknown(anyhow::anyhow!(message)))
    }

    async fn find(&self, id: &ChittyId) -> Result<Option<MintRecord>, LedgerError> {
        let row = sqlx::query(
            "SELECT entity_name, metadata, caller_hash, minted_at_unix_ms
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

/// What reaches the audit buffer.
pub(crate) enum AuditMessage {
    Event(AuditEvent),
    Flush(oneshot::Sender<()>),
}

/// Collects audit events for [`AUDIT_DELAY`] at a time and hands them to the writer in one job.
#[derive(Debug)]
pub(crate) struct AuditBuffer {
    queue: mpsc::Sender<AuditMessage>,
}

impl AuditBuffer {
    pub(crate) fn start(writer: std::sync::Arc<Writer>) -> Self {
        let (queue, mut receiver) = mpsc::channel::<AuditMessage>(QUEUE_DEPTH * 4);
        tokio::spawn(async move {
            let mut messages = Vec::new();
            while receiver.recv_many(&mut messages, QUEUE_DEPTH).await > 0 {
                // Let more arrive while this task sleeps: no wake-up per event.
                tokio::time::sleep(AUDIT_DELAY).await;
                while let Ok(message) = receiver.try_recv() {
                    messages.push(message);
                }
                let mut events = Vec::with_capacity(messages.len());
                let mut flushes = Vec::new();
                for message in messages.drain(..) {
                    match message {
                        AuditMessage::Event(event) => events.push(event),
                        AuditMessage::Flush(done) => flushes.push(done),
                    }
                }
                if writer
                    .queue
                    .send(Job::Audits(events, flushes))
                    .await
                    .is_err()
                {
                    tracing::error!("the store writer stopped; audit events lost");
                    return;
                }
            }
        });
        Self { queue }
    }
}

/// The audit log in the same file: events are buffered briefly, then committed in one go with
/// whatever the writer has; `flush` returns once everything recorded before it is durable.
impl AuditSink for SqliteStore {
    async fn record(&self, event: AuditEvent) -> Result<(), AuditError> {
        self.audit
            .queue
            .send(AuditMessage::Event(event))
            .await
            .map_err(|_| AuditError::Unavailable)
    }

    async fn flush(&self) -> Result<(), AuditError> {
        let (done, flushed) = oneshot::channel();
        self.audit
            .queue
            .send(AuditMessage::Flush(done))
            .await
            .map_err(|_| AuditError::Unavailable)?;
        flushed.await.map_err(|_| AuditError::Unavailable)
    }
}

/// One stored audit event, as operators read them back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditEvent {
    pub at_unix_ms: i64,
    pub action: String,
    pub caller_hash: String,
    pub outcome: String,
    pub ids: Vec<String>,
    pub entity: Option<String>,
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
