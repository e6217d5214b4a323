//! Opening the file, migrating it, and reserving sequence blocks.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chittyid_app::authority::{CounterBlock, SequenceStore, SequenceStoreError, SpaceUsage};
use chittyid_domain::SequenceSpace;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlSafeStr, SqlitePool};

use chittyid_storage::{GroupWriter, GuardSettings, StoreGuard, WriterSettings, WriterStats};

use crate::ledger::SqliteBackend;

/// How long a statement waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a group commit may wait for another process's write lock (the writer connection's
/// busy timeout): the writer's statements block its thread, so this is what bounds them.
const COMMIT_DEADLINE: Duration = Duration::from_secs(5);
/// Reader connections besides the group committer's.
const READERS: u32 = 4;

/// What a committed write survives, on SQLite (WAL in both modes).
///
/// A mint, a sequence block and a mint key are always written [`Durability::PowerLoss`]: an
/// authority that forgot a block it handed numbers from would hand them out again. The
/// gateway's own file (audit events, idempotency keys, API keys, with the authority elsewhere)
/// may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL`: a commit is in the operating system's hands before it returns, so
    /// it survives the process being killed; a power loss or kernel panic may lose the last
    /// moments of commits (the WAL is synced at checkpoints only).
    ProcessCrash,
    /// `synchronous=FULL`: the WAL is synced on every commit, which survives a power loss and
    /// costs an fsync per group commit.
    #[default]
    PowerLoss,
}

impl Durability {
    /// The setting's name: `process-crash` or `power-loss`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ProcessCrash => "process-crash",
            Self::PowerLoss => "power-loss",
        }
    }

    pub(crate) fn pragma(self) -> &'static str {
        match self {
            Self::ProcessCrash => "NORMAL",
            Self::PowerLoss => "FULL",
        }
    }

    fn synchronous(self) -> SqliteSynchronous {
        match self {
            Self::ProcessCrash => SqliteSynchronous::Normal,
            Self::PowerLoss => SqliteSynchronous::Full,
        }
    }
}

/// The SQLite store. Cheap to clone; clones share the connections and the writer.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    pub(crate) writer: Arc<GroupWriter<SqliteBackend>>,
    durability: Durability,
}

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "authority".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/sqlite/0001_authority.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "audit".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/sqlite/0002_audit.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            "health probe".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/sqlite/0003_health_probe.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            "idempotency keys".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/sqlite/0004_idempotency_keys.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            "minted name".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/sqlite/0005_minted_name.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            6,
            "api keys".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/sqlite/0006_api_keys.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            7,
            "mint log".into(),
            MigrationType::Simple,
            include_str!("../../../../migrations/sqlite/0007_mint_log.sql").into_sql_str(),
            false,
        ),
    ])
}

impl SqliteStore {
    /// Opens (creating if needed, readable by its owner only) and migrates the database at
    /// `path`. Durable: WAL with `synchronous=FULL`, so a committed mint survives a crash of the
    /// process or the machine. Processes that open one new file at the same moment take turns
    /// (a lock file beside it), so none fails on another's half-done migration.
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        Self::open_with(path, Durability::PowerLoss).await
    }

    /// As [`SqliteStore::open`], with commits as durable as `durability` says (for a file
    /// that holds no mints: the gateway's, with the authority elsewhere).
    pub async fn open_with(path: &Path, durability: Durability) -> anyhow::Result<Self> {
        create_owner_only(path)?;
        let lock = migration_lock(path)?;
        let opened = Self::open_locked(path, durability).await;
        drop(lock);
        opened
    }

    async fn open_locked(path: &Path, durability: Durability) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(durability.synchronous())
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(READERS + 1)
            .connect_with(options)
            .await
            .with_context(|| format!("opening the SQLite store {}", path.display()))?;
        migrator()
            .run(&pool)
            .await
            .with_context(|| format!("migrating the SQLite store {}", path.display()))?;
        let backfilled = crate::log::backfill(&pool)
            .await
            .with_context(|| format!("starting the mint log of {}", path.display()))?;
        if backfilled > 0 {
            tracing::info!(
                mints = backfilled,
                "the mints recorded before the mint log existed were appended to it"
            );
        }
        let guard = StoreGuard::try_new("sqlite", GuardSettings::default())
            .context("the store guard's settings")?;
        let writer = GroupWriter::start_on_thread(
            "chittyid-sqlite-writer",
            SqliteBackend::new(pool.clone(), path, COMMIT_DEADLINE, durability.pragma()),
            Arc::new(guard),
            WriterSettings {
                // A commit may wait for another process's write lock; past this it fails.
                commit_deadline: COMMIT_DEADLINE,
                ..WriterSettings::default()
            },
        )
        .context("starting the store's writer thread")?;
        let writer = Arc::new(writer);
        Ok(Self {
            pool,
            writer,
            durability,
        })
    }

    /// Whether the store takes writes, as the writer last found (its commits, and a probe
    /// when idle for a second): reads state only, so health answers at once whatever the
    /// store is doing.
    pub fn writable(&self) -> anyhow::Result<()> {
        self.writer.guard().check()?;
        anyhow::ensure!(
            !self.writer.stats().last_commit_failed(),
            "the store's last commit failed (is the disk full?)"
        );
        Ok(())
    }

    /// What this store's commits survive.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Counts of the writes made so far.
    pub fn stats(&self) -> &WriterStats {
        self.writer.stats()
    }

    /// The guard in front of this store (its state is exported as a metric).
    pub fn guard(&self) -> &StoreGuard {
        self.writer.guard()
    }
}

impl SequenceStore for SqliteStore {
    async fn release_block(
        &self,
        space: &SequenceSpace,
        from: u32,
        end: u32,
    ) -> Result<bool, SequenceStoreError> {
        // Only while the space's counter is still where this process's last block left it:
        // a block another process reserved since keeps every number it was given.
        let (space_key, from, end) = (space.to_string(), i64::from(from), i64::from(end));
        let changed = self
            .writer
            .run(move |pool| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE sequence_spaces SET next_counter = ?
                         WHERE space = ? AND next_counter = ? AND ? < next_counter",
                    )
                    .bind(from)
                    .bind(space_key)
                    .bind(end)
                    .bind(from)
                    .execute(&pool)
                    .await
                })
            })
            .await?
            .context("giving a sequence block back")?;
        Ok(changed.rows_affected() == 1)
    }

    async fn space_usage(&self) -> Result<Vec<SpaceUsage>, SequenceStoreError> {
        let rows = sqlx::query(
            "SELECT space, next_counter FROM sequence_spaces ORDER BY next_counter DESC, space",
        )
        .fetch_all(&self.pool)
        .await
        .context("reading the sequence spaces")?;
        rows.iter()
            .map(|row| {
                let used: i64 = row.try_get(1).context("reading next_counter")?;
                Ok(SpaceUsage {
                    space: row.try_get(0).context("reading space")?,
                    used: to_counter(used)?,
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
        // One statement: atomic under SQLite's write lock, whoever else shares the file. Run by
        // this process's writer, so it never queues behind this process's own transactions.
        let (space_key, block, limit) = (
            space.to_string(),
            i64::from(count),
            i64::from(capacity_limit(capacity)),
        );
        let row = self
            .writer
            .run(move |pool| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO sequence_spaces (space, next_counter, last_block_start)
                         VALUES (?1, min(?2, ?3), 0)
                         ON CONFLICT (space) DO UPDATE
                             SET last_block_start = next_counter,
                                 next_counter = min(next_counter + ?2, ?3)
                         RETURNING last_block_start, next_counter",
                    )
                    .bind(space_key)
                    .bind(block)
                    .bind(limit)
                    .fetch_one(&pool)
                    .await
                })
            })
            .await?
            .context("reserving a sequence block")?;
        self.writer.stats().record_block();
        let start: i64 = row.try_get(0).context("reading the block start")?;
        let end: i64 = row.try_get(1).context("reading the block end")?;
        let (start, end) = (to_counter(start)?, to_counter(end)?);
        if start >= end {
            return Err(SequenceStoreError::Exhausted {
                space: space.to_string(),
                capacity,
            });
        }
        Ok(CounterBlock { start, end })
    }

    /// Whether the store can commit, from the writer's last commit or probe (a write, not a
    /// read: a store that can read but not commit, a full disk, fails it). Also fails while
    /// the last commit of records failed and none succeeded since, since a small probe can fit
    /// where a group of records does not.
    async fn ping(&self) -> Result<(), SequenceStoreError> {
        Ok(self.writable()?)
    }

    async fn permutation_key(&self) -> Result<[u8; 32], SequenceStoreError> {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(|e| anyhow::anyhow!("drawing a key: {e}"))?;
        // The first process to get here sets the key; everyone reads the one that won.
        sqlx::query(
            "INSERT INTO authority_key (id, key) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING",
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

/// Creates `path` empty with mode 0600 if it does not exist; SQLite gives its `-wal` and `-shm`
/// files the same mode.
fn create_owner_only(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err).with_context(|| format!("creating {}", path.display())),
    }
}

/// An exclusive lock on `<path>.lock`, held while the database is opened and migrated.
fn migration_lock(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = std::path::PathBuf::from(name);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(&lock_path)
        .with_context(|| format!("creating {}", lock_path.display()))?;
    file.lock()
        .with_context(|| format!("locking {}", lock_path.display()))?;
    Ok(file)
}

fn capacity_limit(capacity: u32) -> u32 {
    capacity.min(chittyid_domain::Sequence::SPACE_SIZE)
}

fn to_counter(value: i64) -> Result<u32, SequenceStoreError> {
    u32::try_from(value)
        .map_err(|_| SequenceStoreError::Unknown(anyhow::anyhow!("counter {value} out of range")))
}
