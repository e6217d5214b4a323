//! The group committer: one task commits every mint record, mint key and audit event of this
//! process. Requests queue their rows; the writer takes everything queued and commits it in one
//! transaction, then answers each request. A request is answered only once its rows are
//! committed, so an acknowledged mint is recorded and an acknowledged gateway answer audited.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use chittyid_app::authority::{CallerHash, KeptMint, LedgerError, MintKey, MintLedger, MintRecord};
use chittyid_app::gateway::{AuditError, AuditEvent, AuditSink, StoredAuditEvent};
use chittyid_domain::ChittyId;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};
use tokio::sync::{mpsc, oneshot};

use crate::store::PgStore;

/// Rows per INSERT statement (six parameters each at most, far under PostgreSQL's limit).
const ROWS_PER_STATEMENT: usize = 500;
/// Rows committed in one transaction at most; more wait for the next.
const MAX_GROUP_ROWS: usize = 2_000;
/// Queued requests before callers wait for room (backpressure).
const QUEUE_DEPTH: usize = 4_096;

struct Pending {
    records: Vec<MintRecord>,
    key: Option<MintKey>,
    done: oneshot::Sender<Result<(), WriteError>>,
}

struct PendingAudit {
    events: Vec<AuditEvent>,
    done: oneshot::Sender<Result<(), WriteError>>,
}

enum Job {
    Record(Pending),
    Audit(PendingAudit),
}

#[derive(Debug)]
enum WriteError {
    KeyTaken,
    Other(String),
}

/// Raised inside a transaction when a mint's key is held by an unexpired mint.
#[derive(Debug, thiserror::Error)]
#[error("the idempotency key is taken")]
struct KeyTaken;

impl WriteError {
    fn from_anyhow(err: &anyhow::Error) -> Self {
        if err.downcast_ref::<KeyTaken>().is_some() {
            Self::KeyTaken
        } else {
            Self::Other(format!("{err:#}"))
        }
    }
}

#[derive(Debug)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Job>,
    transactions: std::sync::Arc<AtomicU64>,
    records: std::sync::Arc<AtomicU64>,
}

impl Writer {
    pub(crate) fn start(pool: PgPool) -> Self {
        let (queue, mut receiver) = mpsc::channel::<Job>(QUEUE_DEPTH);
        let transactions = std::sync::Arc::new(AtomicU64::new(0));
        let records = std::sync::Arc::new(AtomicU64::new(0));
        let counted = Counts {
            transactions: std::sync::Arc::clone(&transactions),
            records: std::sync::Arc::clone(&records),
        };
        tokio::spawn(async move {
            let mut group = Vec::new();
            let mut audits = Vec::new();
            while let Some(first) = receiver.recv().await {
                let mut next = Some(first);
                let mut size = 0;
                while let Some(job) = next.take() {
                    match job {
                        Job::Record(pending) => {
                            size += pending.records.len();
                            group.push(pending);
                        }
                        Job::Audit(pending) => {
                            size += pending.events.len();
                            audits.push(pending);
                        }
                    }
                    if size < MAX_GROUP_ROWS {
                        next = receiver.try_recv().ok();
                    }
                }
                commit_group(&pool, &counted, &mut group, &mut audits).await;
            }
        });
        Self {
            queue,
            transactions,
            records,
        }
    }

    pub(crate) fn transactions(&self) -> u64 {
        self.transactions.load(Ordering::Relaxed)
    }

    pub(crate) fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }
}

struct Counts {
    transactions: std::sync::Arc<AtomicU64>,
    records: std::sync::Arc<AtomicU64>,
}

/// Commits the whole group in one transaction; if that fails, each request is tried in its
/// own, so that one bad request cannot fail the others.
async fn commit_group(
    pool: &PgPool,
    transactions: &Counts,
    group: &mut Vec<Pending>,
    audits: &mut Vec<PendingAudit>,
) {
    let records: Vec<&MintRecord> = group.iter().flat_map(|p| &p.records).collect();
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
    if together
        && insert(pool, transactions, &records, &keys, &events)
            .await
            .is_ok()
    {
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
        let result = insert(pool, transactions, &records, &keys, &[])
            .await
            .map_err(|e| WriteError::from_anyhow(&e));
        let _ = pending.done.send(result);
    }
    for pending in audits.drain(..) {
        let events: Vec<&AuditEvent> = pending.events.iter().collect();
        let result = insert(pool, transactions, &[], &[], &events)
            .await
            .map_err(|e| WriteError::from_anyhow(&e));
        if let Err(err) = &result {
            tracing::error!(error = ?err, "audit events could not be stored; their requests fail");
        }
        let _ = pending.done.send(result);
    }
}

async fn insert(
    pool: &PgPool,
    counts: &Counts,
    records: &[&MintRecord],
    keys: &[(&MintKey, Vec<ChittyId>)],
    audits: &[&AuditEvent],
) -> anyhow::Result<()> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    write_rows(&mut tx, records, keys, audits).await?;
    tx.commit().await.context("committing")?;
    counts.transactions.fetch_add(1, Ordering::Relaxed);
    counts
        .records
        .fetch_add(records.len() as u64, Ordering::Relaxed);
    Ok(())
}

pub(crate) use chittyid_app::authority::to_hex as hex;

/// Many rows per statement: one round trip per table, whatever the group's size.
async fn write_rows(
    conn: &mut PgConnection,
    records: &[&MintRecord],
    keys: &[(&MintKey, Vec<ChittyId>)],
    audits: &[&AuditEvent],
) -> anyhow::Result<()> {
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
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO mint_keys (caller_hash, key, request_hash, ids, expires_at_unix_ms) ",
        );
        insert.push_values(chunk.iter().zip(&encoded), |mut row, ((key, _), ids)| {
            row.push_bind(key.caller.to_hex())
                .push_bind(key.key.clone())
                .push_bind(hex(&key.request_hash))
                .push_bind(ids.clone())
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
            .fetch_all(&mut *conn)
            .await
            .context("taking idempotency keys")?;
        if taken.len() < chunk.len() {
            return Err(KeyTaken.into());
        }
    }
    for chunk in records.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO minted_ids
                 (chitty_id, entity_name, entity_type, metadata, caller_hash, minted_at_unix_ms, name) ",
        );
        insert.push_values(chunk, |mut row, record| {
            row.push_bind(record.id.as_str().to_owned())
                .push_bind(record.entity_name.clone())
                .push_bind(record.id.entity_type().letter().to_string())
                .push_bind(record.metadata.clone())
                .push_bind(record.caller.to_hex())
                .push_bind(record.minted_at_unix_ms)
                .push_bind(record.name.clone());
        });
        insert
            .build()
            .execute(&mut *conn)
            .await
            .context("recording minted IDs")?;
    }
    for chunk in audits.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO audit_events (at_unix_ms, action, caller_hash, outcome, ids, entity) ",
        );
        let mut encoded = Vec::with_capacity(chunk.len());
        for event in chunk {
            encoded.push(serde_json::to_string(&event.ids).context("encoding audit IDs")?);
        }
        insert.push_values(chunk.iter().zip(encoded), |mut row, (event, ids)| {
            row.push_bind(event.at_unix_ms)
                .push_bind(event.action)
                .push_bind(event.caller.to_hex())
                .push_bind(event.outcome)
                .push_bind(ids)
                .push_bind(event.entity.clone());
        });
        insert
            .build()
            .execute(&mut *conn)
            .await
            .context("recording audit events")?;
    }
    Ok(())
}

impl MintLedger for PgStore {
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

    async fn find(&self, id: &ChittyId) -> Result<Option<MintRecord>, LedgerError> {
        let row = sqlx::query(
            "SELECT entity_name, metadata, caller_hash, minted_at_unix_ms, name
             FROM minted_ids WHERE chitty_id = $1",
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

    async fn find_key(
        &self,
        caller: CallerHash,
        key: &str,
        now_unix_ms: i64,
    ) -> Result<Option<KeptMint>, LedgerError> {
        let row = sqlx::query(
            "SELECT request_hash, ids FROM mint_keys
             WHERE caller_hash = $1 AND key = $2 AND expires_at_unix_ms > $3",
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

/// The audit log: `record` returns once its event is committed (grouped with whatever else the
/// writer has); if it cannot be, `record` fails and so does the request.
impl AuditSink for PgStore {
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
        outcome.map_err(|err| AuditError::Unknown(anyhow::anyhow!("{err:?}")))
    }

    /// Every recorded event is committed before `record` returns: nothing is held back.
    async fn flush(&self) -> Result<(), AuditError> {
        Ok(())
    }

    async fn health(&self) -> Result<(), AuditError> {
        self.probe_write().await.map_err(AuditError::Unknown)
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
