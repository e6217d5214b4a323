//! `chittyid authority`: the reference authority, on the embedded SQLite store or on
//! PostgreSQL (`DATABASE_URL`), which several authority processes may share.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::file_limit::fit_to_file_limit;
use anyhow::Context;
use chittyid_app::authority::{
    AuthorityConfig, AuthorityDeps, AuthorityService, LogService, SystemClock,
};
use chittyid_domain::log::SignerKey;
use chittyid_domain::{Jurisdiction, Region, TrustLevel};
use chittyid_http::TokenSet;
use chittyid_http::authority::AuthorityApi;
use chittyid_http::metrics::StoreWrites;
use chittyid_http::server;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;

use crate::data_dir;
use crate::store::Store;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8788";
/// Where generated tokens are kept when `CHITTYID_AUTHORITY_TOKENS` is not set.
pub const TOKEN_FILE: &str = "authority-tokens";
pub const DATABASE_FILE: &str = "authority.db";
/// Where the mint log's signing key is kept when none is given (created at first start, 0600).
pub const LOG_KEY_FILE: &str = "log-signing-key";
/// How often the mint log is checkpointed while mints happen.
pub const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// PostgreSQL for the counters and the ledger instead of the SQLite file in `data_dir`.
    pub database_url: Option<SecretString>,
    /// Accepted bearer tokens; empty means "read or create the token file".
    pub tokens: Vec<SecretString>,
    /// The mint log's signing key (a note signer-key file); `None` means "read or create
    /// [`LOG_KEY_FILE`] in the data directory". Every authority on one store must have the same.
    pub log_key_file: Option<PathBuf>,
    pub default_region: Region,
    pub default_jurisdiction: Jurisdiction,
    pub default_trust_level: TrustLevel,
    pub block_size: u32,
    pub space_capacity: u32,
    /// Connection caps and client deadlines, and the shutdown grace.
    pub limits: server::ServerLimits,
}

impl Settings {
    /// Defaults for everything but the data directory.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            listen: DEFAULT_LISTEN.parse().expect("a valid address"),
            data_dir,
            database_url: None,
            tokens: Vec::new(),
            log_key_file: None,
            default_region: Region::NorthAmerica,
            default_jurisdiction: Jurisdiction::try_new("USA").expect("valid"),
            default_trust_level: TrustLevel::L0,
            block_size: AuthorityConfig::DEFAULT_BLOCK_SIZE,
            space_capacity: chittyid_domain::Sequence::SPACE_SIZE,
            limits: server::ServerLimits::default(),
        }
    }

    /// The service's configuration.
    pub fn authority_config(&self) -> AuthorityConfig {
        AuthorityConfig {
            default_region: self.default_region,
            default_jurisdiction: self.default_jurisdiction,
            default_trust_level: self.default_trust_level,
            block_size: self.block_size,
            min_block_size: AuthorityConfig::DEFAULT_MIN_BLOCK_SIZE.min(self.block_size),
            space_capacity: self.space_capacity,
        }
    }

    /// Opens the store (PostgreSQL with a database URL, else the SQLite file in the data
    /// directory) and the authority service on it.
    pub async fn open_service(&self) -> anyhow::Result<(Store, Service)> {
        let store = Store::open(
            self.database_url.as_ref().map(ExposeSecret::expose_secret),
            &self.data_dir.join(DATABASE_FILE),
        )
        .await?;
        let service = AuthorityService::new(
            AuthorityDeps {
                sequences: store.sequence_store(),
                ledger: store.mint_ledger(),
                clock: Arc::new(SystemClock::default()),
            },
            self.authority_config(),
        );
        Ok((store, service))
    }
}

/// The authority on its store.
pub type Service = AuthorityService;
type Api = AuthorityApi;

/// A bound, ready authority. `build` binds first, so port 0 gives a free port to tests.
pub struct AuthorityApplication {
    listener: TcpListener,
    /// `sqlite` or `postgres`, for the start-up log.
    store_kind: &'static str,
    service: Arc<Service>,
    log: Arc<LogService>,
    api: Arc<Api>,
    address: SocketAddr,
    limits: server::ServerLimits,
    /// Set when this start created the token file: the token, to show once.
    pub created_token: Option<(String, PathBuf)>,
}

impl std::fmt::Debug for AuthorityApplication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorityApplication")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl AuthorityApplication {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        data_dir::ensure(&settings.data_dir)?;
        let (store, service) = settings.open_service().await?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        // Last, once nothing else can fail: a token created by a start that then failed would
        // never be shown, and later starts would find the file and show none.
        let mut created_token = None;
        let tokens = if settings.tokens.is_empty() {
            let path = settings.data_dir.join(TOKEN_FILE);
            let (tokens, created) =
                data_dir::load_or_create_secrets(&path, || data_dir::new_token("cat_"))?;
            if created {
                created_token = Some((tokens[0].clone(), path));
            }
            tokens
        } else {
            settings
                .tokens
                .iter()
                .map(|token| token.expose_secret().to_owned())
                .collect()
        };
        let log = Arc::new(LogService::new(
            store.mint_log(),
            load_log_key(&settings)?,
            Arc::new(SystemClock::default()),
        ));
        // At start, so that a store whose log another key signed, or whose tree was changed,
        // stops the start with the reason.
        let size = log
            .integrate()
            .await
            .context("checkpointing the mint log")?;
        tracing::info!(origin = log.origin(), size, "mint log checkpointed");
        let metrics_store = store.clone();
        let service = Arc::new(service);
        let api = Arc::new(AuthorityApi::new(
            Arc::clone(&service),
            Arc::clone(&log),
            TokenSet::new(tokens.iter().map(String::as_str)),
            Box::new(move || {
                let (transactions, records, blocks) = metrics_store.write_counts();
                StoreWrites {
                    transactions,
                    records,
                    blocks,
                }
            }),
        ));
        Ok(Self {
            listener,
            log,
            store_kind: store.backend(),
            service,
            api,
            address,
            limits: fit_to_file_limit(settings.limits),
            created_token,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) {
        tracing::info!(
            address = %self.address,
            store = self.store_kind,
            "chittyid authority listening"
        );
        let checkpointer = tokio::spawn(Arc::clone(&self.log).run_checkpointer(CHECKPOINT_EVERY));
        server::serve(self.listener, self.api.router(), shutdown, self.limits).await;
        checkpointer.abort();
        // The mints answered last are checkpointed before the process ends.
        if let Err(err) = self.log.integrate().await {
            tracing::warn!(error = %format!("{err:#}"), "the last checkpoint of the mint log failed");
        }
        give_back_unused(&self.service).await;
        tracing::info!("chittyid authority stopped");
    }
}

/// A new log signing key named `name` (default `chittyid.local/mint-log/<8 random hex
/// digits>`), as its signer-key text.
pub fn new_log_key(name: Option<&str>) -> anyhow::Result<SignerKey> {
    let mut seed = [0u8; 32];
    let mut suffix = [0u8; 4];
    getrandom::fill(&mut seed)
        .and_then(|()| getrandom::fill(&mut suffix))
        .map_err(|e| anyhow::anyhow!("drawing a log key: {e}"))?;
    let name = name.map_or_else(
        || {
            format!(
                "chittyid.local/mint-log/{}",
                chittyid_app::authority::to_hex(&suffix)
            )
        },
        str::to_owned,
    );
    SignerKey::from_seed(&name, seed).map_err(|e| anyhow::anyhow!("the log's name {name:?}: {e}"))
}

/// The log's signing key: the given file, or the data directory's; either is created (0600)
/// with a new key ([`new_log_key`]) if it does not exist, so authorities given one path share
/// one key. Errors name the file, never its content.
pub fn load_log_key(settings: &Settings) -> anyhow::Result<SignerKey> {
    let path = settings
        .log_key_file
        .clone()
        .unwrap_or_else(|| settings.data_dir.join(LOG_KEY_FILE));
    let (lines, _) = data_dir::load_or_create_secrets(&path, || Ok(new_log_key(None)?.encode()))?;
    let [line] = lines.as_slice() else {
        anyhow::bail!("{}: expected one signer key line", path.display());
    };
    SignerKey::parse(line).map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))
}

/// On a graceful stop: the sequence numbers reserved and never handed out go back to their
/// spaces (see [`AuthorityService::release_unused`]).
pub(crate) async fn give_back_unused(service: &AuthorityService) {
    let released = service.release_unused().await;
    if released > 0 {
        tracing::info!(
            released,
            "unused sequence numbers given back to their spaces"
        );
    }
}

/// `verify-log`: the store's mint log checked against the checkpoints its key signed.
pub async fn verify_log(settings: &Settings) -> anyhow::Result<chittyid_app::authority::LogAudit> {
    data_dir::ensure(&settings.data_dir)?;
    let key_path = settings
        .log_key_file
        .clone()
        .unwrap_or_else(|| settings.data_dir.join(LOG_KEY_FILE));
    // Never a new key here: the checkpoints must be checked against the one that signed them.
    anyhow::ensure!(
        key_path.exists(),
        "{} does not exist: give the log's key with --log-key",
        key_path.display()
    );
    let key = load_log_key(settings)?.verifier_key();
    let store = Store::open(
        settings
            .database_url
            .as_ref()
            .map(ExposeSecret::expose_secret),
        &settings.data_dir.join(DATABASE_FILE),
    )
    .await?;
    chittyid_app::authority::verify_log(&store.mint_log(), &key).await
}

/// The sequence spaces of the store these settings name, fullest first.
pub async fn space_usage(
    settings: &Settings,
) -> anyhow::Result<Vec<chittyid_app::authority::SpaceUsage>> {
    data_dir::ensure(&settings.data_dir)?;
    let store = Store::open(
        settings
            .database_url
            .as_ref()
            .map(ExposeSecret::expose_secret),
        &settings.data_dir.join(DATABASE_FILE),
    )
    .await?;
    Ok(chittyid_app::authority::SequenceStore::space_usage(&*store.sequence_store()).await?)
}
