//! `chittyid keys create|list|rotate|revoke`: API key accounts in the gateway's store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chittyid::keys::{self, CreatedKey};
use chittyid_app::gateway::{ApiKeyAccount, Clock, Scopes, SystemClock, parse_rate_per_minute};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::trouble;

#[derive(Debug, clap::Args)]
pub(crate) struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
    /// The gateway's data directory [default: ~/.local/share/chittyid].
    #[arg(long, env = "CHITTYID_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL (postgres://...) when the gateways keep their state there.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true, value_parser = super::secret)]
    database_url: Option<SecretString>,
    /// The authority's base URL, as the gateway is given it: only which file of the data
    /// directory holds the keys depends on it (`gateway.db` when set, `authority.db` when not).
    #[arg(long, env = "CHITTYID_SERVICE_URL", global = true)]
    service_url: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Create a key; its secret is printed once and never kept.
    Create {
        /// The key's name, as audit rows and `keys list` show it (letters, digits, - _ .).
        #[arg(long)]
        name: String,
        /// IDs it may generate: N/min, N/s or N/h; 0 for no limit [default: the gateway's
        /// --rate-limit].
        #[arg(long)]
        rate: Option<String>,
        /// What it may do: generate, validate, metrics (comma-separated) [default:
        /// generate,validate].
        #[arg(long, default_value = "generate,validate")]
        scopes: String,
    },
    /// List every key (never a secret).
    List,
    /// Give a key a new secret, with its scopes and rate; the old secret keeps working for
    /// the overlap, then is refused.
    Rotate {
        name: String,
        /// How long the old secret keeps working, in seconds [default: 86400].
        #[arg(long, default_value_t = 86_400)]
        overlap_seconds: u64,
    },
    /// Refuse every secret of a key from now on.
    Revoke { name: String },
}

pub(crate) fn run(args: &KeysArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return trouble(format_args!("keys: starting the runtime: {err}")),
    };
    match runtime.block_on(run_command(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => trouble(format_args!("keys: {err:#}")),
    }
}

async fn run_command(args: &KeysArgs) -> anyhow::Result<()> {
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(chittyid::data_dir::default_data_dir);
    let database_url = args
        .database_url
        .as_ref()
        .map(ExposeSecret::expose_secret)
        .filter(|u| !u.trim().is_empty());
    let remote = args
        .service_url
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty());
    let store = keys::open_store(&data_dir, database_url, remote)
        .await?
        .api_key_store();
    let mut out = std::io::stdout().lock();
    match &args.command {
        KeysCommand::Create { name, rate, scopes } => {
            let rate = rate.as_deref().map(parse_rate_per_minute).transpose()?;
            let created = keys::create(&store, name, Scopes::parse(scopes)?, rate).await?;
            show_created(&mut out, &created, args.json)?;
        }
        KeysCommand::Rotate {
            name,
            overlap_seconds,
        } => {
            let created = keys::rotate(&store, name, Duration::from_secs(*overlap_seconds)).await?;
            show_created(&mut out, &created, args.json)?;
            if !args.json {
                writeln!(
                    out,
                    "The other secrets of {name:?} keep working for {overlap_seconds} s."
                )?;
            }
        }
        KeysCommand::Revoke { name } => {
            let revoked = keys::revoke(&store, name).await?;
            if args.json {
                writeln!(out, "{}", json!({"name": name, "revoked": revoked}))?;
            } else {
                writeln!(
                    out,
                    "Revoked {revoked} secret(s) of {name:?}; gateways refuse them within 5 s."
                )?;
            }
        }
        KeysCommand::List => {
            let now = SystemClock::default().unix_ms();
            let accounts = keys::list(&store).await?;
            if args.json {
                let listed: Vec<_> = accounts.iter().map(|a| account_json(a, now)).collect();
                writeln!(out, "{}", serde_json::Value::Array(listed))?;
            } else {
                writeln!(out, "ID\tNAME\tSCOPES\tRATE\tSTATUS")?;
                for account in &accounts {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}",
                        account.id,
                        account.name,
                        account.scopes,
                        rate_text(account.rate_per_minute),
                        keys::status(account, now)
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn rate_text(rate: Option<u32>) -> String {
    match rate {
        None => "default".to_owned(),
        Some(0) => "unlimited".to_owned(),
        Some(rate) => format!("{rate}/min"),
    }
}

fn account_json(account: &ApiKeyAccount, now: i64) -> serde_json::Value {
    json!({
        "id": account.id,
        "name": account.name,
        "scopes": account.scopes.to_string(),
        "ratePerMinute": account.rate_per_minute,
        "createdAtUnixMs": account.created_at_unix_ms,
        "expiresAtUnixMs": account.expires_at_unix_ms,
        "revokedAtUnixMs": account.revoked_at_unix_ms,
        "status": keys::status(account, now),
    })
}

fn show_created(out: &mut impl Write, created: &CreatedKey, json: bool) -> std::io::Result<()> {
    let account = &created.account;
    if json {
        let mut value = account_json(account, account.created_at_unix_ms);
        value["secret"] = json!(created.secret);
        return writeln!(out, "{value}");
    }
    writeln!(
        out,
        "Created a secret for the API key {:?} ({}): scopes {}, rate {}.\nIt is shown only now; only its hash is kept:\n  {}",
        account.name,
        account.id,
        account.scopes,
        rate_text(account.rate_per_minute),
        created.secret
    )
}
