//! `chittyid serve`: arguments and the process around the gateway.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use chittyid::gateway::{DEFAULT_LISTEN, GatewayApplication, Settings, Upstream};
use chittyid::{data_dir, telemetry};
use chittyid_domain::resilience::ResilienceConfig;

use super::trouble;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Preset {
    Recommended,
    #[value(name = "v2.2.0")]
    V220,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CHITTYID_LISTEN", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Directory for the embedded database and generated keys [default: ~/.local/share/chittyid].
    #[arg(long, env = "CHITTYID_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The authority's base URL; unset runs the authority in this process on the embedded store.
    #[arg(long, env = "CHITTYID_SERVICE_URL")]
    service_url: Option<String>,
    /// Bearer token for the authority at --service-url.
    #[arg(
        long = "authority-token",
        env = "CHITTY_ID_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// Accepted API keys, comma-separated.
    #[arg(
        long = "api-keys",
        env = "CHITTYID_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    api_keys: Vec<String>,
    /// A file of accepted API keys' SHA-256 hex digests, one per line.
    #[arg(long, env = "CHITTYID_API_KEYS_FILE")]
    api_keys_file: Option<PathBuf>,
    /// IDs per minute per API key; 0 turns the limit off.
    #[arg(long, env = "CHITTYID_RATE_LIMIT", default_value_t = 100)]
    rate_limit: u32,
    /// Resilience configuration: retry, breaker, budget, monitor and cache settings.
    #[arg(long, env = "CHITTYID_RESILIENCE", value_enum, default_value_t = Preset::Recommended)]
    resilience: Preset,
}

pub(crate) fn run(args: &ServeArgs) -> ExitCode {
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(data_dir::default_data_dir);
    let mut settings = Settings::new(data_dir);
    settings.listen = args.listen;
    settings.api_keys = args
        .api_keys
        .iter()
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    settings.api_key_hashes_file = args.api_keys_file.clone();
    settings.gateway.rate_limit_per_minute = (args.rate_limit > 0).then_some(args.rate_limit);
    settings.gateway.resilience = match args.resilience {
        Preset::Recommended => ResilienceConfig::recommended(),
        Preset::V220 => ResilienceConfig::v2_2_0(),
    };
    if let Some(url) = args.service_url.as_deref().filter(|u| !u.trim().is_empty()) {
        settings.upstream = Upstream::Remote {
            url: url.to_owned(),
            token: args.token.clone(),
        };
    }
    telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return trouble(format_args!("serve: starting the runtime: {err}")),
    };
    runtime.block_on(async {
        let app = match GatewayApplication::build(settings).await {
            Ok(app) => app,
            Err(err) => return trouble(format_args!("serve: {err:#}")),
        };
        if let Some((key, path)) = &app.created_api_key {
            // Shown once, on the console, never through the log; only its hash is kept.
            println!(
                "Created a dev API key (its hash is kept in {}); it is shown only now:\n  {key}\n\nTry:\n  curl -s -X POST http://{}/api/id/generate -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{{\"entity\":\"PEO\"}}'",
                path.display(),
                app.address()
            );
        }
        app.run_until(super::shutdown_signal()).await;
        ExitCode::SUCCESS
    })
}
