//! One reconnecting connection to Redis (redis-rs's `ConnectionManager`, multiplexed), every
//! call bounded in time, and whether Redis answered last time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Where Redis is and how long a request may wait for it.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// May hold a password: kept as a secret, so that `Debug` never shows it.
    pub url: secrecy::SecretString,
    /// Namespaces every key (`{prefix}:v1:…`), so that several deployments can share a server.
    pub prefix: String,
    /// The longest any request waits on Redis before going on without it.
    pub timeout: Duration,
}

impl RedisSettings {
    pub const DEFAULT_PREFIX: &'static str = "chittyid";
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(25);

    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: secrecy::SecretString::from(url.into()),
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

/// The connection, shared by the cache and the limiter. Cheap to clone.
#[derive(Clone)]
pub struct RedisLink {
    manager: ConnectionManager,
    settings: Arc<RedisSettings>,
    available: Arc<AtomicBool>,
    /// When the last call failed (ms since `origin`); calls within `RETRY_AFTER_FAILURE` of it
    /// do not wait on Redis at all, so an outage costs requests nothing after the first.
    failed_at_ms: Arc<AtomicU64>,
    /// Calls answered without waiting on Redis because it failed moments before.
    skipped: Arc<AtomicU64>,
    origin: std::time::Instant,
}

/// After a failed call, how long calls go straight to the local fallback before one tries
/// Redis again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(500);

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never shown.
        f.debug_struct("RedisLink")
            .field("prefix", &self.settings.prefix)
            .field("available", &self.is_available())
            .finish_non_exhaustive()
    }
}

impl RedisLink {
    /// Connects lazily: a Redis that is down at start does not stop the gateway, which works
    /// alone until Redis answers.
    pub fn open(settings: RedisSettings) -> anyhow::Result<Self> {
        let client = redis::Client::open(secrecy::ExposeSecret::expose_secret(&settings.url))
            .context("REDIS_URL is not a valid redis:// URL")?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.timeout.max(Duration::from_millis(100))))
            .set_response_timeout(Some(settings.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .context("setting up the Redis connection")?;
        Ok(Self {
            manager,
            settings: Arc::new(settings),
            available: Arc::new(AtomicBool::new(false)),
            failed_at_ms: Arc::new(AtomicU64::new(u64::MAX)),
            skipped: Arc::new(AtomicU64::new(0)),
            origin: std::time::Instant::now(),
        })
    }

    pub fn settings(&self) -> &RedisSettings {
        &self.settings
    }

    /// Calls that did not wait on Redis because it had failed less than half a second before.
    pub fn skipped_calls(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Whether the last call answered in time.
    pub fn is_available(&self) -> bool {
        self.available.load(Ordering::Relaxed)
    }

    /// `{prefix}:v1:{kind}:{rest}`.
    pub(crate) fn key(&self, kind: &str, rest: &str) -> String {
        format!("{}:v1:{kind}:{rest}", self.settings.prefix)
    }

    /// Runs `work` on the connection within the timeout; records whether Redis answered.
    pub(crate) async fn call<T, F, Fut>(&self, work: F) -> anyhow::Result<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let now_ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        let failed_at = self.failed_at_ms.load(Ordering::Relaxed);
        let backoff = u64::try_from(RETRY_AFTER_FAILURE.as_millis()).unwrap_or(u64::MAX);
        if failed_at != u64::MAX && now_ms.saturating_sub(failed_at) < backoff {
            self.skipped.fetch_add(1, Ordering::Relaxed);
            anyhow::bail!("Redis failed moments ago; not waiting on it");
        }
        let outcome = tokio::time::timeout(self.settings.timeout, work(self.manager.clone())).await;
        let result = match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(anyhow::anyhow!("Redis: {err}")),
            Err(_) => Err(anyhow::anyhow!(
                "Redis did not answer within {:?}",
                self.settings.timeout
            )),
        };
        self.available.store(result.is_ok(), Ordering::Relaxed);
        self.failed_at_ms.store(
            if result.is_ok() { u64::MAX } else { now_ms },
            Ordering::Relaxed,
        );
        result
    }

    /// A PING, for health checks.
    pub async fn ping(&self) -> anyhow::Result<()> {
        self.call(|mut conn| async move {
            redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .map(|_| ())
        })
        .await
    }
}
