//! Where durable state lives: the embedded SQLite file (the default) or PostgreSQL
//! (`DATABASE_URL`), chosen at start. The store value is handed to the services as each port
//! it implements (sequence store, mint ledger, audit sink, idempotency store); what is left
//! here is opening it and what operators read back.

use std::path::Path;
use std::sync::Arc;

use chittyid_app::authority::{DynMintLedger, DynMintLog, DynSequenceStore};
use chittyid_app::gateway::{DynApiKeyStore, DynAuditSink, DynIdempotencyStore, StoredAuditEvent};
use chittyid_postgres::{PgStore, PoolSettings};
use chittyid_sqlite::{Durability, SqliteStore};

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

    /// This store as where the gateway's API key accounts are kept.
    pub fn api_key_store(&self) -> Arc<DynApiKeyStore<'static>> {
        match self {
            Self::Sqlite(store) => Arc::from(DynApiKeyStore::new_box(store.clone())),
            Self::Postgres(store) => Arc::from(DynApiKeyStore::new_box(store.clone())),
        }
    }

    /// This store as the authority's sequence store.
    pub fn sequence_store(&self) -> Arc<DynSequenceStore<'static>> {
        match self {
            Self::Sqlite(store) => Arc::from(DynSequenceStore::new_box(store.clone())),
            Self::Postgres(store) => Arc::from(DynSequenceStore::new_box(store.clone())),
        }
    }

    /// This store as the authority's mint log (its tree and checkpoints).
    pub fn mint_log(&self) -> Box<DynMintLog<'static>> {
        match self {
            Self::Sqlite(store) => DynMintLog::new_box(store.clone()),
            Self::Postgres(store) => DynMintLog::new_box(store.clone()),
        }
    }

    /// This store as the authority's mint ledger.
    pub fn mint_ledger(&self) -> Box<DynMintLedger<'static>> {
        match self {
            Self::Sqlite(store) => DynMintLedger::new_box(store.clone()),
            Self::Postgres(store) => DynMintLedger::new_box(store.clone()),
        }
    }

    /// PostgreSQL at `database_url` if given, else the SQLite file at `sqlite_path`, every
    /// commit synced (a file that holds mints, sequence blocks or mint keys).
    pub async fn open(database_url: Option<&str>, sqlite_path: &Path) -> anyhow::Result<Self> {
        Self::open_with(database_url, sqlite_path, Durability::PowerLoss).await
    }

    /// As [`Store::open`], with SQLite commits as durable as `durability` says (PostgreSQL's
    /// are as its server is configured).
    pub async fn open_with(
        database_url: Option<&str>,
        sqlite_path: &Path,
        durability: Durability,
    ) -> anyhow::Result<Self> {
        match database_url {
            Some(url) => Ok(Self::Postgres(
                PgStore::connect(url, PoolSettings::default()).await?,
            )),
            None => Ok(Self::Sqlite(
                SqliteStore::open_with(sqlite_path, durability).await?,
            )),
        }
    }

    /// What a commit survives, for the start-up log: `process-crash` or `power-loss` on
    /// SQLite, `server-configured` on PostgreSQL.
    pub fn durability(&self) -> &'static str {
        match self {
            Self::Sqlite(store) => store.durability().name(),
            Self::Postgres(_) => "server-configured",
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
