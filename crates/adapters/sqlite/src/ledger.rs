//! The writer: one task makes every write of this process. Concurrent mints queue their records
//! and the writer commits everything queued in a single transaction (group commit), so
//! throughput is not one transaction (one fsync) per mint; a mint is answered only after its
//! transaction commits. Block reservations go through the same queue, between transactions, so
//! they never wait on this process's own write lock.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use chittyid_app::authority::{CallerHash, LedgerError, MintLedger, MintRecord};
use chittyid_domain::ChittyId;
use sqlx::{Row, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::store::SqliteStore;

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

/// A write to make: the writer runs other writes as they come and batches records.
enum Job {
    Record(Pending),
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
                    }
                    if size < MAX_GROUP_RECORDS {
                        next = receiver.try_recv().ok();
                    }
                }
                if !group.is_empty() {
                    commit_group(&pool, &stats, &mut group).await;
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

/// Commits the whole group in one transaction; if that fails, each request is tried in its own
/// so that one bad request cannot fail the others.
async fn commit_group(pool: &SqlitePool, stats: &StoreStats, group: &mut Vec<Pending>) {
    let all: Vec<&MintRecord> = group.iter().flat_map(|p| &p.records).collect();
    if group.len() > 1 && insert(pool, stats, &all).await.is_ok() {
        for pending in group.drain(..) {
            let _ = pending.done.send(Ok(()));
        }
        return;
    }
    for pending in group.drain(..) {
        let records: Vec<&MintRecord> = pending.records.iter().collect();
        let result = insert(pool, stats, &records)
            .await
            .map_err(|e| format!("{e:#}"));
        let _ = pending.done.send(result);
    }
}

async fn insert(
    pool: &SqlitePool,
    stats: &StoreStats,
    records: &[&MintRecord],
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
    tx.commit().await.context("committing minted IDs")?;
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
            caller: parse_hash(&caller_hex).context("reading caller_hash")?,
            minted_at_unix_ms: row
                .try_get("minted_at_unix_ms")
                .context("reading minted_at_unix_ms")?,
        }))
    }
}

fn parse_hash(hex: &str) -> anyhow::Result<CallerHash> {
    let mut hash = [0u8; 32];
    anyhow::ensure!(
        hex.len() == 64,
        "expected 64 hex digits, found {}",
        hex.len()
    );
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)?;
    }
    Ok(CallerHash(hash))
}
