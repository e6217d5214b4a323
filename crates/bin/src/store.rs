//! Where durable state lives: the embedded SQLite file (the default) or PostgreSQL
//! (`DATABASE_URL`). One type for both, so that the authority and the gateway are built once;
//! each port call goes to the backend chosen at start.

use std::path::Path;

use chittyid_app::authority::{
    CallerHash, CounterBlock, KeptMint, LedgerError, MintKey, MintLedger, MintRecord,
    SequenceStore, SequenceStoreError,
};
use chittyid_app::gateway::{
    AuditError, AuditEvent, AuditSink, Claim, ClaimTerms, GeneratedId, IdempotencyError,
    IdempotencyKey, IdempotencyStore, StoredAuditEvent,
};
use chittyid_domain::{ChittyId, SequenceSpace};
use chittyid_postgres::{PgStore, PoolSettings};
use chittyid_sqlite::SqliteStore;

#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Calls the same method on whichever backend this is.
macro_rules! each {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Store::Sqlite($store) => $call,
            Store::Postgres($store) => $call,
        }
    };
}

impl Store {
    /// PostgreSQL at `database_url` if given, else the SQLite file at `sqlite_path`.
    pub async fn open(database_url: Option<&str>, sqlite_path: &Path) -> anyhow::Result<Self> {
        match database_url {
            Some(url) => Ok(Self::Postgres(
                PgStore::connect(url, PoolSettings::default()).await?,
            )),
            None => Ok(Self::Sqlite(SqliteStore::open(sqlite_path).await?)),
        }
    }

    /// Which backend, for logs and health (never the URL).
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Transactions, records and block reservations made by this process.
    pub fn write_counts(&self) -> (u64, u64, u64) {
        match self {
            Self::Sqlite(store) => {
                let stats = store.stats();
                (stats.transactions(), stats.records(), stats.blocks())
            }
            Self::Postgres(store) => (store.transactions(), store.records(), store.blocks()),
        }
    }

    /// The most recent audit events, newest first.
    pub async fn recent_audit_events(&self, limit: u32) -> anyhow::Result<Vec<StoredAuditEvent>> {
        each!(self, store => store.recent_audit_events(limit).await)
    }
}

impl SequenceStore for Store {
    async fn reserve_block(
        &self,
        space: &SequenceSpace,
        count: u32,
        capacity: u32,
    ) -> Result<CounterBlock, SequenceStoreError> {
        each!(self, store => store.reserve_block(space, count, capacity).await)
    }

    async fn ping(&self) -> Result<(), SequenceStoreError> {
        each!(self, store => SequenceStore::ping(store).await)
    }

    async fn permutation_key(&self) -> Result<[u8; 32], SequenceStoreError> {
        each!(self, store => store.permutation_key().await)
    }
}

impl MintLedger for Store {
    async fn record(
        &self,
        records: Vec<MintRecord>,
        key: Option<MintKey>,
    ) -> Result<(), LedgerError> {
        each!(self, store => MintLedger::record(store, records, key).await)
    }

    async fn find(&self, id: &ChittyId) -> Result<Option<MintRecord>, LedgerError> {
        each!(self, store => store.find(id).await)
    }

    async fn find_key(
        &self,
        caller: CallerHash,
        key: &str,
        now_unix_ms: i64,
    ) -> Result<Option<KeptMint>, LedgerError> {
        each!(self, store => store.find_key(caller, key, now_unix_ms).await)
    }
}

impl AuditSink for Store {
    async fn record(&self, event: AuditEvent) -> Result<(), AuditError> {
        each!(self, store => AuditSink::record(store, event).await)
    }

    fn record_detached(&self, event: AuditEvent) {
        each!(self, store => store.record_detached(event))
    }

    fn dropped(&self) -> u64 {
        each!(self, store => store.dropped())
    }

    async fn flush(&self) -> Result<(), AuditError> {
        each!(self, store => store.flush().await)
    }

    async fn health(&self) -> Result<(), AuditError> {
        each!(self, store => AuditSink::health(store).await)
    }
}

impl IdempotencyStore for Store {
    async fn claim(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        terms: ClaimTerms,
    ) -> Result<Claim, IdempotencyError> {
        each!(self, store => store.claim(caller, key, terms).await)
    }

    async fn complete(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        ids: &[GeneratedId],
    ) -> Result<(), IdempotencyError> {
        each!(self, store => store.complete(caller, key, ids).await)
    }

    async fn release(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
    ) -> Result<(), IdempotencyError> {
        each!(self, store => store.release(caller, key).await)
    }

    async fn mark_unknown(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
    ) -> Result<(), IdempotencyError> {
        each!(self, store => store.mark_unknown(caller, key).await)
    }

    async fn sweep(&self, now_unix_ms: i64, limit: u32) -> Result<u64, IdempotencyError> {
        each!(self, store => store.sweep(now_unix_ms, limit).await)
    }
}

/// The verdict cache: in this process, or with Redis behind it (`REDIS_URL`).
#[derive(Debug)]
pub enum Cache {
    Local(chittyid_app::gateway::InProcessCache),
    Tiered(chittyid_redis::TieredCache),
}

impl Cache {
    /// Drops expired entries of the in-process level.
    pub fn sweep(&self) -> usize {
        match self {
            Self::Local(cache) => cache.sweep(),
            Self::Tiered(cache) => cache.sweep(),
        }
    }
}

impl chittyid_app::gateway::VerdictCache for Cache {
    async fn get(&self, id: &ChittyId) -> Result<Option<bool>, chittyid_app::gateway::CacheError> {
        match self {
            Self::Local(cache) => cache.get(id).await,
            Self::Tiered(cache) => cache.get(id).await,
        }
    }

    async fn put(
        &self,
        id: &ChittyId,
        minted: bool,
    ) -> Result<(), chittyid_app::gateway::CacheError> {
        match self {
            Self::Local(cache) => cache.put(id, minted).await,
            Self::Tiered(cache) => cache.put(id, minted).await,
        }
    }

    async fn stats(
        &self,
    ) -> Result<chittyid_app::gateway::CacheReport, chittyid_app::gateway::CacheError> {
        match self {
            Self::Local(cache) => cache.stats().await,
            Self::Tiered(cache) => cache.stats().await,
        }
    }
}

/// The rate limits: this process's, or the fleet's in Redis (`REDIS_URL`).
#[derive(Debug)]
pub enum RateLimits {
    Local(chittyid_app::gateway::InProcessRateLimits),
    Shared(chittyid_redis::SharedRateLimits),
}

impl chittyid_app::gateway::RateLimitStore for RateLimits {
    fn shared_available(&self) -> Option<bool> {
        match self {
            Self::Local(limits) => limits.shared_available(),
            Self::Shared(limits) => limits.shared_available(),
        }
    }

    async fn try_acquire(
        &self,
        caller: CallerHash,
        cost: u32,
        limit: u32,
        period: std::time::Duration,
    ) -> Result<chittyid_app::gateway::RateDecision, chittyid_app::gateway::RateLimitError> {
        match self {
            Self::Local(limits) => limits.try_acquire(caller, cost, limit, period).await,
            Self::Shared(limits) => limits.try_acquire(caller, cost, limit, period).await,
        }
    }
}
