//! Connecting, migrating, and reserving sequence blocks.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chittyid_app::authority::{CounterBlock, SequenceStore, SequenceStoreError};
use chittyid_domain::SequenceSpace;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row, SqlSafeStr};

use crate::ledger::Writer;

/// How many connections a process opens, and how long a request waits for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// Longer than this and the request fails (503) instead of queueing without bound.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

/// The PostgreSQL store. Cheap to clone; clones share the pool and the group committer.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    pub(crate) writer: Arc<Writer>,
    blocks: Arc<std::sync::atomic::AtomicU64>,
}

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "chittyid".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/postgres/0001_chittyid.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "minted name".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/postgres/0002_minted_name.sql").into_sql_str(),
            false,
        ),
    ])
}

impl PgStore {
    /// Connects to `url` and applies the migrations (under PostgreSQL's advisory lock, so
    /// processes that start together take turns). The URL is never logged or shown.
    pub async fn connect(url: &str, settings: PoolSettings) -> anyhow::Result<Self> {
        let options: PgConnectOptions = url
            .parse()
            .context("DATABASE_URL is not a valid postgres:// URL")?;
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .context("connecting to PostgreSQL (DATABASE_URL)")?;
        migrator()
            .run(&pool)
            .await
            .context("migrating the PostgreSQL database")?;
        let writer = Arc::new(Writer::start(pool.clone()));
        Ok(Self {
            pool,
            writer,
            blocks: Arc::default(),
        })
    }

    /// Commits one small write; fails if the database cannot take one.
    pub async fn probe_write(&self) -> anyhow::Result<()> {
        let now_ms = chittyid_app::unix_now_ms();
        sqlx::query(
            "INSERT INTO health_probe (id, at_unix_ms) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET at_unix_ms = excluded.at_unix_ms",
        )
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("writing the health probe")?;
        Ok(())
    }

    /// Group-commit transactions committed by this process.
    pub fn transactions(&self) -> u64 {
        self.writer.transactions()
    }

    /// Minted IDs recorded by this process.
    pub fn records(&self) -> u64 {
        self.writer.records()
    }

    /// Sequence blocks reserved by this process.
    pub fn blocks(&self) -> u64 {
        self.blocks.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl SequenceStore for PgStore {
    async fn reserve_block(
        &self,
        space: &SequenceSpace,
        count: u32,
        capacity: u32,
    ) -> Result<CounterBlock, SequenceStoreError> {
        // One statement, atomic under the row's lock, whoever else shares the database.
        let limit = capacity.min(chittyid_domain::Sequence::SPACE_SIZE);
        let row = sqlx::query(
            "INSERT INTO sequence_spaces (space, next_counter, last_block_start)
             VALUES ($1, LEAST($2, $3), 0)
             ON CONFLICT (space) DO UPDATE
                 SET last_block_start = sequence_spaces.next_counter,
                     next_counter = LEAST(sequence_spaces.next_counter + $2, $3)
             RETURNING last_block_start, next_counter",
        )
        .bind(space.to_string())
        .bind(i32::try_from(count).unwrap_or(i32::MAX))
        .bind(i32::try_from(limit).unwrap_or(i32::MAX))
        .fetch_one(&self.pool)
        .await
        .context("reserving a sequence block")?;
        self.blocks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let start: i32 = row.try_get(0).context("reading the block start")?;
        let end: i32 = row.try_get(1).context("reading the block end")?;
        let counter = |value: i32| {
            u32::try_from(value).map_err(|_| {
                SequenceStoreError::Unknown(anyhow::anyhow!("counter {value} out of range"))
            })
        };
        let (start, end) = (counter(start)?, counter(end)?);
        if start >= end {
            return Err(SequenceStoreError::Exhausted {
                space: space.to_string(),
                capacity,
            });
        }
        Ok(CounterBlock { start, end })
    }

    /// A write, not a read: a database that answers reads but cannot commit fails it.
    async fn ping(&self) -> Result<(), SequenceStoreError> {
        Ok(self.probe_write().await?)
    }

    async fn permutation_key(&self) -> Result<[u8; 32], SequenceStoreError> {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(|e| anyhow::anyhow!("drawing a key: {e}"))?;
        // The first process to get here sets the key; everyone reads the one that won.
        sqlx::query(
            "INSERT INTO authority_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(fresh.as_slice())
        .execute(&self.pool)
        .await
        .context("storing the permutation key")?;
        let key: Vec<u8> = sqlx::query_scalar("SELECT key FROM authority_key WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .context("reading the permutation key")?;
        Ok(key
            .try_into()
            .map_err(|_| anyhow::anyhow!("the stored permutation key is not 32 bytes"))?)
    }
}
