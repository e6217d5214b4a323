//! Connecting, migrating, and reserving sequence blocks.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chittyid_app::authority::{CounterBlock, SequenceStore, SequenceStoreError, SpaceUsage};
use chittyid_domain::SequenceSpace;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row, SqlSafeStr};

use chittyid_storage::{
    GroupWriter, GuardSettings, StoreDown, StoreGuard, WriterSettings, WriterStats,
};

use crate::ledger::PgBackend;

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
            acquire_timeout: Duration::from_secs(1),
        }
    }
}

/// The PostgreSQL store. Cheap to clone; clones share the pool and the group committer.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    pub(crate) writer: Arc<GroupWriter<PgBackend>>,
}

/// How long a read or a single write on the pool may take before it fails and opens the guard.
const CALL_DEADLINE: Duration = Duration::from_secs(2);

pub(crate) fn migrator() -> Migrator {
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
        Migration::new(
            3,
            "api keys".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/postgres/0003_api_keys.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            "mint log".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/postgres/0004_mint_log.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            "log leaf runs".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/postgres/0005_log_leaf_runs.sql").into_sql_str(),
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
            .connect_with(options.clone())
            .await
            .context("connecting to PostgreSQL (DATABASE_URL)")?;
        migrator()
            .run(&pool)
            .await
            .context("migrating the PostgreSQL database")?;
        let backfilled = crate::log::backfill(&pool)
            .await
            .context("starting the mint log")?;
        if backfilled > 0 {
            tracing::info!(
                mints = backfilled,
                "the mints recorded before the mint log existed were appended to it"
            );
        }
        let guard = StoreGuard::try_new("postgres", GuardSettings::default())
            .context("the store guard's settings")?;
        let writer = Arc::new(GroupWriter::start(
            PgBackend::new(pool.clone(), options),
            Arc::new(guard),
            WriterSettings::default(),
        ));
        Ok(Self { pool, writer })
    }

    /// Whether the database takes writes, as the writer last found (its commits, and a probe
    /// when idle for a second): reads state only, so health answers at once whatever the
    /// database is doing.
    pub fn writable(&self) -> anyhow::Result<()> {
        self.writer.guard().check()?;
        anyhow::ensure!(
            !self.writer.stats().last_commit_failed(),
            "the database's last commit failed"
        );
        Ok(())
    }

    /// Runs one call on the pool behind the guard: refused at once while the database is known
    /// to be down; a connection failure, or no answer within the deadline, opens the guard.
    pub(crate) async fn guarded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, sqlx::Error>>,
    ) -> anyhow::Result<T> {
        let guard = self.writer.guard();
        guard.check()?;
        match tokio::time::timeout(CALL_DEADLINE, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => {
                if is_store_failure(&err) {
                    guard.failed(&err);
                }
                Err(err.into())
            }
            Err(_) => {
                let err = anyhow::anyhow!(
                    "PostgreSQL did not answer within {} ms",
                    CALL_DEADLINE.as_millis()
                );
                guard.failed(&err);
                Err(err)
            }
        }
    }

    /// Counts of the writes made so far.
    pub fn stats(&self) -> &WriterStats {
        self.writer.stats()
    }

    /// The guard in front of the database (its state is exported as a metric).
    pub fn guard(&self) -> &StoreGuard {
        self.writer.guard()
    }

    /// Group-commit transactions committed by this process.
    pub fn transactions(&self) -> u64 {
        self.stats().transactions()
    }

    /// Minted IDs recorded by this process.
    pub fn records(&self) -> u64 {
        self.stats().records()
    }

    /// Sequence blocks reserved by this process.
    pub fn blocks(&self) -> u64 {
        self.stats().blocks()
    }
}

/// Whether a failed pool call says the database is unreachable: the pool could not give a
/// working connection within its acquire timeout (it reconnects by itself meanwhile), or the
/// database is out of resources. A connection that broke under one call (the server ended it)
/// fails that call only: the pool replaces it at once.
fn is_store_failure(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code.starts_with("53")),
        _ => false,
    }
}

impl SequenceStore for PgStore {
    async fn release_block(
        &self,
        space: &SequenceSpace,
        from: u32,
        end: u32,
    ) -> Result<bool, SequenceStoreError> {
        // Only while the space's counter is still where this process's last block left it:
        // a block another authority reserved since keeps every number it was given.
        let done = self
            .guarded(
                sqlx::query(
                    "UPDATE sequence_spaces SET next_counter = $1
                     WHERE space = $2 AND next_counter = $3 AND $1 < next_counter",
                )
                .bind(i32::try_from(from).unwrap_or(i32::MAX))
                .bind(space.to_string())
                .bind(i32::try_from(end).unwrap_or(i32::MAX))
                .execute(&self.pool),
            )
            .await
            .context("giving a sequence block back")?;
        Ok(done.rows_affected() == 1)
    }

    async fn space_usage(&self) -> Result<Vec<SpaceUsage>, SequenceStoreError> {
        let rows = self
            .guarded(
                sqlx::query(
                    "SELECT space, next_counter FROM sequence_spaces
                     ORDER BY next_counter DESC, space",
                )
                .fetch_all(&self.pool),
            )
            .await
            .context("reading the sequence spaces")?;
        rows.iter()
            .map(|row| {
                let used: i32 = row.try_get(1).context("reading next_counter")?;
                Ok(SpaceUsage {
                    space: row.try_get(0).context("reading space")?,
                    used: u32::try_from(used).context("next_counter out of range")?,
                })
            })
            .collect()
    }

    async fn reserve_block(
        &self,
        space: &SequenceSpace,
        count: u32,
        capacity: u32,
    ) -> Result<CounterBlock, SequenceStoreError> {
        // One statement, atomic under the row's lock, whoever else shares the database.
        let limit = capacity.min(chittyid_domain::Sequence::SPACE_SIZE);
        let row = self
            .guarded(
                sqlx::query(
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
                .fetch_one(&self.pool),
            )
            .await
            .context("reserving a sequence block")
            .map_err(|err| match err.downcast_ref::<StoreDown>() {
                Some(down) => SequenceStoreError::Unavailable {
                    retry_after: down.retry_after,
                },
                None => SequenceStoreError::Unknown(err),
            })?;
        self.stats().record_block();
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

    /// From the writer's last commit or probe (a write, not a read: a database that answers
    /// reads but cannot commit fails it), without waiting on the database.
    async fn ping(&self) -> Result<(), SequenceStoreError> {
        Ok(self.writable()?)
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
