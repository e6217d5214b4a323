//! `chittyid serve`: arguments and the process around the gateway.

use secrecy::SecretString;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use chittyid::gateway::GatewayApplication;

use super::trouble;

mod layers;

use layers::{DurabilityArg, Layer, Preset};

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    log: super::LogArgs,
    /// A JSON configuration file (keys: listen, dataDir, serviceUrl, serviceCa, apiKeysFile,
    /// rateLimit, validationLimit, auditRetentionDays, resilience, metricsRequireKey,
    /// entityAliases, corsOrigins, durability); flags and environment variables take
    /// precedence.
    #[arg(long, env = "CHITTYID_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on: PORT, HOST:PORT or [IPv6]:PORT [default: 127.0.0.1:8787].
    #[arg(long, env = "CHITTYID_LISTEN", value_parser = super::parse_listen)]
    listen: Option<SocketAddr>,
    /// Directory for the embedded database and generated keys [default: ~/.local/share/chittyid].
    #[arg(long, env = "CHITTYID_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// PostgreSQL (postgres://...) for the audit log, idempotency keys and the in-process
    /// authority's counters and ledger; unset keeps them in the data directory's SQLite files.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    #[arg(value_parser = super::secret)]
    database_url: Option<SecretString>,
    /// Redis (redis://...) for a verdict cache and rate limits shared by every gateway using it;
    /// unset keeps both in this process.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    #[arg(value_parser = super::secret)]
    redis_url: Option<SecretString>,
    /// Prefix of every Redis key, so that deployments can share one server [default: chittyid].
    #[arg(long, env = "CHITTYID_REDIS_PREFIX")]
    redis_prefix: Option<String>,
    /// The authority's base URL; unset runs the authority in this process on the embedded store.
    #[arg(long, env = "CHITTYID_SERVICE_URL")]
    #[arg(value_parser = super::secret)]
    service_url: Option<SecretString>,
    /// The authority's mint log verifier key (`<name>+<hash>+<key>`, as its `/v1/log/key`
    /// answers): `verify=true` is then answered from the log's inclusion proofs against signed
    /// checkpoints, each checked to extend the last, and a fork raises an alarm. Needs
    /// CHITTYID_SERVICE_URL.
    #[arg(long, env = "CHITTYID_AUTHORITY_LOG_KEY", value_name = "KEY")]
    pub(super) authority_log_key: Option<String>,
    /// PEM certificates of a private CA that signed the authority's certificate (https).
    #[arg(long, env = "CHITTYID_SERVICE_CA")]
    service_ca: Option<PathBuf>,
    /// Bearer token for the authority at --service-url.
    #[arg(
        long = "authority-token",
        env = "CHITTY_ID_TOKEN",
        hide_env_values = true
    )]
    #[arg(value_parser = super::secret)]
    token: Option<SecretString>,
    /// Accepted API keys, comma-separated.
    #[arg(
        long = "api-keys",
        env = "CHITTYID_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    #[arg(value_parser = super::secret)]
    api_keys: Vec<SecretString>,
    /// A file of accepted API keys' SHA-256 hex digests, one per line.
    #[arg(long, env = "CHITTYID_API_KEYS_FILE")]
    api_keys_file: Option<PathBuf>,
    /// IDs per minute per API key; 0 turns the limit off [default: 100].
    #[arg(long, env = "CHITTYID_RATE_LIMIT")]
    rate_limit: Option<u32>,
    /// Inputs validated per minute per API key (a batch costs its size), beside the generate
    /// limit; 0 turns the budget off [default: 60000].
    #[arg(long, env = "CHITTYID_VALIDATION_LIMIT")]
    validation_limit: Option<u32>,
    /// `/metrics` answers only an API key with the metrics scope (`chittyid keys create
    /// --scopes metrics`); by default it answers anyone who can reach it.
    #[arg(long, env = "CHITTYID_METRICS_REQUIRE_KEY")]
    metrics_require_key: bool,
    /// Maps an entity name outside the nine on the compatibility routes (`/v1/mint`, `/mint`):
    /// ALIAS=NAME, repeatable or comma-separated. Defaults: SESSION=CONTEXT, USER=PEO,
    /// PROPERTY=PROP, EVIDENCE=INFO, AUDIT=EVNT.
    #[arg(
        long = "entity-alias",
        env = "CHITTYID_ENTITY_ALIASES",
        value_delimiter = ','
    )]
    entity_aliases: Vec<String>,
    /// An origin whose browsers may call the gateway (CORS): https://host[:port], repeatable
    /// or comma-separated; none by default.
    #[arg(
        long = "cors-origin",
        env = "CHITTYID_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    /// Days audit events are kept; older ones are deleted at start and every 5 minutes; 0
    /// keeps them forever [default: 30].
    #[arg(long, env = "CHITTYID_AUDIT_RETENTION_DAYS")]
    audit_retention_days: Option<u32>,
    /// What a commit to the gateway's own SQLite file (audit events, idempotency keys, API
    /// keys, with --service-url) survives: process-crash (synced at checkpoints) or power-loss
    /// (an fsync per group commit) [default: process-crash]. Mints are always power-loss.
    #[arg(long, env = "CHITTYID_DURABILITY", value_enum)]
    durability: Option<DurabilityArg>,
    /// Resilience configuration: retry, breaker, budget, monitor and cache settings
    /// [default: recommended].
    #[arg(long, env = "CHITTYID_RESILIENCE", value_enum)]
    resilience: Option<Preset>,
}

pub(crate) fn run(args: &ServeArgs) -> ExitCode {
    // The layers, lowest first: the defaults, the config file, the environment and flags.
    let file = match &args.config {
        Some(path) => match Layer::from_file(path) {
            Ok(file) => file,
            Err(err) => return trouble(format_args!("serve: config: {err}")),
        },
        None => Layer::default(),
    };
    let settings = Layer::from_args(args).over(file).settings(args);
    super::run_server("serve", "chittyid-gateway", &args.log, async {
        let app = GatewayApplication::build(settings).await?;
        if let Some((key, path)) = &app.created_api_key {
            // Shown once, on the console, never through the log; only its hash is kept. A closed
            // stdout is ignored: the key is a convenience, serving matters more.
            let _ = writeln!(
                std::io::stdout(),
                "Created a dev API key (its hash is kept in {}); it is shown only now:\n  {key}\n\nTry:\n  curl -s -X POST http://{}/api/id/generate -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{{\"entity\":\"PEO\"}}'",
                path.display(),
                app.address()
            );
        } else {
            // Later starts say where the keys are and how to get one (never a key).
            let _ = writeln!(std::io::stdout(), "{}", app.keys_summary);
        }
        app.run_until(super::shutdown_signal()).await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Serve {
        #[command(flatten)]
        args: super::ServeArgs,
    }

    #[test]
    fn the_parsed_arguments_never_show_their_secrets_when_debugged() {
        let parsed = Serve::try_parse_from([
            "serve",
            "--database-url",
            "postgres://app:pg-password-1@db/chittyid",
            "--redis-url",
            "redis://:redis-password-2@cache",
            "--api-keys",
            "api-key-secret-3,api-key-secret-4",
            "--service-url",
            "https://user:url-password-5@id.example",
            "--authority-token",
            "authority-token-6",
        ])
        .expect("parses");
        let shown = format!("{parsed:?}");
        for secret in [
            "pg-password-1",
            "redis-password-2",
            "api-key-secret-3",
            "api-key-secret-4",
            "url-password-5",
            "authority-token-6",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
