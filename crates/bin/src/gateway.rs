//! `chittyid serve`: the gateway, in front of an in-process authority on the embedded store (the
//! default) or a remote one (`CHITTYID_SERVICE_URL` with `CHITTY_ID_TOKEN`).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::file_limit::fit_to_file_limit;
use anyhow::Context;
use chittyid_app::authority::CallerHash;
use chittyid_app::gateway::{
    ApiKeyStore, AuditSink, AuthorityError, Clock, DynApiKeyStore, DynMintAuthority,
    DynRateLimitStore, DynVerdictCache, GatewayConfig, GatewayDeps, GatewayService,
    IdempotencyStore, InProcessAuthority, InProcessCache, InProcessRateLimits, KeyDirectory,
    MintAuthority, SystemClock, VerdictCache,
};
use chittyid_app::gateway::{DynLogSource, LogWitness};
use chittyid_domain::log::VerifierKey;
use chittyid_domain::resilience::ResilienceConfig;
use chittyid_http::TokenSet;
use chittyid_http::gateway::GatewayApi;
use chittyid_http::server;
use chittyid_redis::{RedisLink, RedisSettings, SharedRateLimits, TieredCache};
pub use chittyid_sqlite::Durability;
use chittyid_upstream::HttpAuthority;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::authority::Settings as AuthoritySettings;
use crate::data_dir;
use crate::store::Store;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
/// SHA-256 digests of the accepted API keys, one per line, when none are configured.
pub const API_KEY_FILE: &str = "gateway-api-keys";
/// The audit log's database when the authority is remote.
pub const AUDIT_DATABASE_FILE: &str = "gateway.db";
/// How often expired cache entries and idempotency keys are swept.
const CACHE_SWEEP_EVERY: Duration = Duration::from_secs(300);
/// Expired idempotency keys dropped per sweep transaction at most (short write locks).
const KEY_SWEEP_BATCH: u32 = 5_000;
/// Audit events past the retention deleted per statement at most (short write locks).
const AUDIT_EXPIRY_BATCH: u32 = 5_000;
/// How long the start-up check of a remote authority's token may take.
const STARTUP_PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the API keys are read from the store: a key created, rotated or revoked with
/// `chittyid keys` takes effect on every gateway of the store within this.
pub const KEY_REFRESH_EVERY: Duration = Duration::from_secs(5);

/// Where the gateway mints.
#[derive(Debug, Clone)]
pub enum Upstream {
    /// The authority in this process, on the embedded store in the data directory.
    Embedded(AuthoritySettings),
    Remote {
        /// May hold credentials (`https://user:pass@…`): shown only redacted.
        url: SecretString,
        token: Option<SecretString>,
        /// PEM certificates of a private CA that signed the authority's certificate.
        ca_file: Option<PathBuf>,
    },
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// PostgreSQL for the audit log, the idempotency keys and (with the embedded authority) the
    /// authority's counters and ledger, instead of the SQLite files in `data_dir`.
    pub database_url: Option<SecretString>,
    /// Redis for a verdict cache and rate limits shared by every gateway using it.
    pub redis: Option<RedisSettings>,
    pub upstream: Upstream,
    /// Accepted API keys; with none and no hash file, a dev key is created.
    pub api_keys: Vec<SecretString>,
    pub api_key_hashes_file: Option<PathBuf>,
    pub gateway: GatewayConfig,
    /// Connection caps and client deadlines, and the shutdown grace.
    pub limits: server::ServerLimits,
    /// `/metrics` answers only an API key with the metrics scope.
    pub metrics_require_key: bool,
    /// `ALIAS=NAME` entries for entity names outside the nine, beside the defaults.
    pub entity_aliases: Vec<String>,
    /// Origins whose browsers may call the gateway (CORS), `https://host[:port]`.
    pub cors_origins: Vec<String>,
    /// What a commit to the gateway's own SQLite file survives, with the authority elsewhere
    /// (the embedded authority's file always syncs every commit).
    pub durability: Durability,
    /// The remote authority's mint log verifier key: verify from the log's proofs.
    pub authority_log_key: Option<String>,
}

impl Settings {
    /// The embedded default in `data_dir`, with the recommended resilience configuration.
    pub fn new(data_dir: PathBuf) -> Self {
        let seed = {
            let mut bytes = [0u8; 8];
            let _ = getrandom::fill(&mut bytes);
            u64::from_le_bytes(bytes)
        };
        Self {
            listen: DEFAULT_LISTEN.parse().expect("a valid address"),
            upstream: Upstream::Embedded(AuthoritySettings::new(data_dir.clone())),
            data_dir,
            database_url: None,
            redis: None,
            api_keys: Vec::new(),
            api_key_hashes_file: None,
            gateway: GatewayConfig::new(ResilienceConfig::recommended(), seed),
            limits: server::ServerLimits::default(),
            metrics_require_key: false,
            entity_aliases: Vec::new(),
            cors_origins: Vec::new(),
            durability: Durability::ProcessCrash,
            authority_log_key: None,
        }
    }
}

/// A bound, ready gateway. `build` binds first, so port 0 gives a free port to tests.
pub struct GatewayApplication {
    listener: TcpListener,
    service: Arc<GatewayService>,
    /// The store the audit log is in (also the service's audit sink and idempotency store).
    audit: Store,
    key_store: Arc<DynApiKeyStore<'static>>,
    key_directory: Arc<KeyDirectory>,
    /// The authority running in this process, if it does: it gives its unused numbers back
    /// on a graceful stop.
    embedded_authority: Option<Arc<chittyid_app::authority::AuthorityService>>,
    metrics_require_key: bool,
    entity_aliases: chittyid_http::dialects::EntityAliases,
    cors_origins: Vec<http::HeaderValue>,
    /// For the start-up log: `redis` or `in-process`, and the authority (`in-process`, or its
    /// URL with any credentials redacted).
    cache_kind: &'static str,
    authority_shown: String,
    address: SocketAddr,
    limits: server::ServerLimits,
    /// Set when this start created a dev API key: the key, to show once.
    pub created_api_key: Option<(String, PathBuf)>,
    /// Where this start's keys come from, for the console (never a key).
    pub keys_summary: String,
}

impl std::fmt::Debug for GatewayApplication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayApplication")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl GatewayApplication {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        data_dir::ensure(&settings.data_dir)?;
        let entity_aliases =
            chittyid_http::dialects::EntityAliases::try_with(&settings.entity_aliases)
                .map_err(anyhow::Error::msg)?;
        let cors_origins = settings
            .cors_origins
            .iter()
            .map(|origin| chittyid_http::cors::parse_origin(origin))
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::msg)?;
        // Which authority's verdicts the shared cache holds: gateways share them only when they
        // mint through the same authority (the same URL, or the same store for an embedded one).
        let authority_identity = match &settings.upstream {
            Upstream::Remote { url, .. } => {
                chittyid_upstream::normalize_base_url(url.expose_secret())
            }
            Upstream::Embedded(authority) => match &settings.database_url {
                Some(url) => format!("embedded:{}", url.expose_secret()),
                None => format!(
                    "embedded:{}",
                    authority
                        .data_dir
                        .join(crate::authority::DATABASE_FILE)
                        .display()
                ),
            },
        };
        // The audit log lives in the embedded database: the authority's file when the authority
        // runs here, a file of its own otherwise.
        let mut embedded_authority = None;
        let authority_shown = match &settings.upstream {
            Upstream::Remote { url, .. } => chittyid_upstream::redact_userinfo(
                &chittyid_upstream::normalize_base_url(url.expose_secret()),
            ),
            Upstream::Embedded(_) => "in-process".to_owned(),
        };
        let mut witness = None;
        let (authority, audit) = match &settings.upstream {
            Upstream::Remote {
                url,
                token,
                ca_file,
            } => {
                let ca = ca_file
                    .as_ref()
                    .map(|path| {
                        std::fs::read(path).with_context(|| {
                            format!("reading CHITTYID_SERVICE_CA {}", path.display())
                        })
                    })
                    .transpose()?;
                let remote = HttpAuthority::try_new_with_roots(
                    url.expose_secret(),
                    token.as_ref().map(ExposeSecret::expose_secret),
                    ca.as_deref(),
                )?;
                // A wrong token shows now, not at the first mint. An authority that does not
                // answer at all is not a reason to refuse to start: the gateway fails fast
                // and the monitor reports it.
                if let Ok(Err(AuthorityError::Unauthorized)) =
                    tokio::time::timeout(STARTUP_PROBE_TIMEOUT, remote.health()).await
                {
                    anyhow::bail!(
                        "the authority at {} refused CHITTY_ID_TOKEN (401/403): check the token",
                        remote.base_url()
                    );
                }
                if let Some(key) = &settings.authority_log_key {
                    let key = VerifierKey::parse(key)
                        .map_err(|err| anyhow::anyhow!("CHITTYID_AUTHORITY_LOG_KEY: {err}"))?;
                    let source = HttpAuthority::try_new_with_roots(
                        url.expose_secret(),
                        token.as_ref().map(ExposeSecret::expose_secret),
                        ca.as_deref(),
                    )?;
                    witness = Some(Arc::new(LogWitness::new(
                        DynLogSource::new_box(source),
                        key,
                        Arc::new(SystemClock::default()),
                        LogWitness::REFRESH_AFTER,
                    )));
                }
                let authority = DynMintAuthority::new_box(remote);
                let audit = Store::open_with(
                    settings
                        .database_url
                        .as_ref()
                        .map(ExposeSecret::expose_secret),
                    &settings.data_dir.join(AUDIT_DATABASE_FILE),
                    settings.durability,
                )
                .await?;
                (authority, audit)
            }
            Upstream::Embedded(authority) => {
                anyhow::ensure!(
                    settings.authority_log_key.is_none(),
                    "CHITTYID_AUTHORITY_LOG_KEY needs a remote authority (CHITTYID_SERVICE_URL): \
                     the embedded one answers from its own ledger"
                );
                let mut authority = authority.clone();
                if settings.database_url.is_some() {
                    authority.database_url.clone_from(&settings.database_url);
                }
                let (store, service) = authority.open_service().await?;
                let service = Arc::new(service);
                embedded_authority = Some(Arc::clone(&service));
                let authority = DynMintAuthority::new_box(InProcessAuthority::new(
                    service,
                    CallerHash::of_token("chittyid-gateway-in-process"),
                ));
                (authority, store)
            }
        };
        let policy = settings.gateway.resilience.cache;
        let fallback_callers = settings.gateway.rate_limited_keys;
        let (cache, rate_limits): (
            Box<DynVerdictCache<'static>>,
            Box<DynRateLimitStore<'static>>,
        ) = match &settings.redis {
            Some(redis) => {
                let link = RedisLink::open(redis.clone())?;
                (
                    DynVerdictCache::new_box(TieredCache::new(
                        policy,
                        link.clone(),
                        &authority_identity,
                    )),
                    DynRateLimitStore::new_box(SharedRateLimits::new(link, fallback_callers)),
                )
            }
            None => (
                DynVerdictCache::new_box(InProcessCache::new(policy)),
                DynRateLimitStore::new_box(InProcessRateLimits::new(fallback_callers)),
            ),
        };
        let deps = GatewayDeps {
            authority,
            cache,
            audit: audit.audit_sink(),
            clock: Arc::new(SystemClock::default()),
            keys: audit.idempotency_store(),
            rate_limits,
        };
        // Keys from the store, shared by a fleet; read now and refreshed while serving.
        let key_store = audit.api_key_store();
        let stored_keys = key_store
            .list_keys()
            .await
            .context("reading the API keys from the store")?;
        let now = SystemClock::default().unix_ms();
        let stored_active = stored_keys.iter().any(|key| key.is_active(now));
        let service = GatewayService::try_new(deps, settings.gateway)
            .context("the resilience configuration")?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        // Last, once nothing else can fail: a dev key created by a start that then failed
        // would never be shown, and later starts would find its hash and show none.
        let (api_keys, created_api_key) = api_keys(&settings, stored_active)?;
        let stored_count = stored_keys.iter().filter(|key| key.is_active(now)).count();
        let fixed_source = if !settings.api_keys.is_empty() {
            "CHITTYID_API_KEYS".to_owned()
        } else if let Some(path) = &settings.api_key_hashes_file {
            format!("the hash file {}", path.display())
        } else if api_keys.is_empty() {
            "no dev key (stored keys are in use)".to_owned()
        } else {
            format!(
                "the dev key's hash in {}",
                settings.data_dir.join(API_KEY_FILE).display()
            )
        };
        let keys_summary = format!(
            "API keys: {} from {fixed_source}; {stored_count} stored (chittyid keys list). A new key: chittyid keys create --name NAME",
            api_keys.len()
        );
        let key_directory = Arc::new(KeyDirectory::with_fixed(
            api_keys.digests().iter().copied(),
            "environment",
        ));
        key_directory.replace_stored(&stored_keys, now);
        let mut service = service.with_key_directory(Arc::clone(&key_directory));
        if let Some(witness) = witness {
            service = service.with_log_witness(witness);
        }
        Ok(Self {
            listener,
            service: Arc::new(service),
            audit,
            key_store,
            key_directory,
            embedded_authority,
            metrics_require_key: settings.metrics_require_key,
            entity_aliases,
            cors_origins,
            cache_kind: if settings.redis.is_some() {
                "redis"
            } else {
                "in-process"
            },
            authority_shown,
            address,
            limits: fit_to_file_limit(settings.limits),
            created_api_key,
            keys_summary,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The store holding the audit log.
    pub fn audit_store(&self) -> &Store {
        &self.audit
    }

    /// Serves until `shutdown` resolves; then stops the background tasks, drains in-flight
    /// requests and flushes the audit sink.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) {
        let (stop, stopped) = watch::channel(false);
        let until_stopped = |mut stopped: watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        let monitor = {
            let service = Arc::clone(&self.service);
            let stopped = until_stopped(stopped.clone());
            tokio::spawn(async move { service.drive_monitor(stopped).await })
        };
        let sweeper = {
            let service = Arc::clone(&self.service);
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(CACHE_SWEEP_EVERY);
                loop {
                    let stop = tokio::select! {
                        _ = tick.tick() => false,
                        _ = stopped.wait_for(|stop| *stop) => true,
                    };
                    if stop {
                        return;
                    }
                    service.cache().sweep();
                    if let Err(err) = service.expire_audit(AUDIT_EXPIRY_BATCH).await {
                        tracing::warn!(error = %format_args!("{err:#}"), "expiring old audit events failed; the next sweep tries again");
                    }
                    let now = service.clock().unix_ms();
                    while let Ok(dropped) = service.keys().sweep(now, KEY_SWEEP_BATCH).await {
                        if dropped < u64::from(KEY_SWEEP_BATCH) {
                            break;
                        }
                    }
                }
            })
        };
        let key_refresher = {
            let (store, directory) = (Arc::clone(&self.key_store), Arc::clone(&self.key_directory));
            let service = Arc::clone(&self.service);
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(KEY_REFRESH_EVERY);
                let mut failing = false;
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = stopped.wait_for(|stop| *stop) => return,
                    }
                    // A store that cannot be read keeps the last keys read; logged once.
                    match store.list_keys().await {
                        Ok(keys) => {
                            directory.replace_stored(&keys, service.clock().unix_ms());
                            if std::mem::take(&mut failing) {
                                tracing::info!("API keys are read from the store again");
                            }
                        }
                        Err(err) if !failing => {
                            failing = true;
                            tracing::warn!(error = %format_args!("{err:#}"), "reading the API keys failed; the keys read last stay in force");
                        }
                        Err(_) => {}
                    }
                }
            })
        };
        tracing::info!(
            address = %self.address,
            store = self.audit.backend(),
            durability = self.audit.durability(),
            cache = self.cache_kind,
            authority = %self.authority_shown,
            "chittyid gateway listening"
        );
        let api = Arc::new(
            GatewayApi::with_key_directory(
                Arc::clone(&self.service),
                Arc::clone(&self.key_directory),
            )
            .require_key_for_metrics(self.metrics_require_key)
            .with_entity_aliases(self.entity_aliases.clone())
            .with_cors_origins(self.cors_origins.clone()),
        );
        server::serve(
            self.listener,
            Arc::clone(&api).router(),
            shutdown,
            self.limits,
        )
        .await;
        // Keyed generates whose clients left still finish, so that their keys and audit rows
        // are settled before the process exits.
        if !api.wait_for_detached(self.limits.shutdown_grace).await {
            tracing::warn!("keyed generates were still running when the shutdown grace ran out");
        }
        let _ = stop.send(true);
        let _ = monitor.await;
        let _ = sweeper.await;
        let _ = key_refresher.await;
        if let Some(authority) = &self.embedded_authority {
            crate::authority::give_back_unused(authority).await;
        }
        if let Err(err) = self.service.audit().flush().await {
            tracing::error!(error = %err, "flushing the audit log failed");
        }
        tracing::info!("chittyid gateway stopped");
    }
}

/// The accepted API keys: configured keys, a file of key hashes, or a dev key created on the
/// first start (its hash kept in the data directory, the key shown once).
fn api_keys(
    settings: &Settings,
    stored_active: bool,
) -> anyhow::Result<(TokenSet, Option<(String, PathBuf)>)> {
    if !settings.api_keys.is_empty() {
        return Ok((
            TokenSet::new(settings.api_keys.iter().map(ExposeSecret::expose_secret)),
            None,
        ));
    }
    // The dev key, if this start creates one: only its hash is written.
    let mut created = None;
    let (path, lines) = match &settings.api_key_hashes_file {
        Some(path) => (path.clone(), data_dir::read_secrets(path)?),
        // Keys made with `chittyid keys create` need no dev key.
        None if stored_active && !settings.data_dir.join(API_KEY_FILE).exists() => {
            return Ok((TokenSet::new([]), None));
        }
        None => {
            let path = settings.data_dir.join(API_KEY_FILE);
            let (lines, _) = data_dir::load_or_create_secrets(&path, || {
                let key = data_dir::new_token("cik_")?;
                let hash = CallerHash::of_token(&key).to_hex();
                created = Some(key);
                Ok(hash)
            })?;
            (path, lines)
        }
    };
    // Comment lines are already gone, so the entry is named, not a line number.
    let digests = lines
        .iter()
        .map(|line| {
            CallerHash::from_hex(line)
                .map(|hash| hash.0)
                .with_context(|| {
                    format!("{}: {line:?} is not a SHA-256 hex digest", path.display())
                })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((
        TokenSet::from_digests(digests),
        created.map(|key| (key, path)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_never_show_their_secrets_when_debugged() {
        let mut settings = Settings::new(PathBuf::from("/var/lib/chittyid"));
        settings.database_url = Some("postgres://app:pg-password-1@db/chittyid".to_owned().into());
        settings.redis = Some(RedisSettings::new("redis://:redis-password-2@cache:6379"));
        settings.api_keys = vec!["api-key-secret-3".to_owned().into()];
        settings.upstream = Upstream::Remote {
            url: "https://user:url-password-4@id.example".to_owned().into(),
            token: Some("authority-token-5".to_owned().into()),
            ca_file: None,
        };
        let shown = format!("{settings:?}");
        for secret in [
            "pg-password-1",
            "redis-password-2",
            "api-key-secret-3",
            "url-password-4",
            "authority-token-5",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        let authority = crate::authority::Settings {
            tokens: vec!["authority-token-6".to_owned().into()],
            database_url: Some("postgres://app:pg-password-7@db/chittyid".to_owned().into()),
            ..crate::authority::Settings::new(PathBuf::from("/var/lib/chittyid"))
        };
        let shown = format!("{authority:?}");
        assert!(!shown.contains("authority-token-6") && !shown.contains("pg-password-7"));
    }
}
