//! Where durable state lives: the embedded SQLite file (the default) or PostgreSQL
//! (`DATABASE_URL`). One type for both, so that the authority and the gateway are built once;
//! each port call goes to the backend chosen at start.

use std::path::Path;

use chittyid_app::authority::{
    CallerHash, CounterBlock, KeptMint, LedgerError, MintKey, MintLedger, MintRecord,
    SequenceStore, SequenceStoreError,
};
use chittyid_app::gateway::{DynAuditSink, DynIdempotencyStore, StoredAuditEvent};
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
    /// This store as the gateway's audit sink: one store value serves as every port it
    /// implements.
    pub fn audit_sink(&self) -> Box<DynAuditSink<'static>> {
        match self {
            Self::Sqlite(store) => DynAuditSink::new_box(store.clone()),
            Self::Postgres(store) => DynAuditSink::new_box(store.clone()),
        }
    }

    /// This store as the gateway's idempotency store.
    pub fn idempotency_store(&self) -> Box<DynIdempotencyStore<'static>> {
        match self {
            Self::Sqlite(store) => DynIdempotencyStore::new_box(store.clone()),
            Self::Postgres(store) => DynIdempotencyStore::new_box(store.clone()),
        }
    }

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
