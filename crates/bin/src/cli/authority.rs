//! `chittyid authority`: arguments and the process around the application.

use secrecy::{ExposeSecret, SecretString};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use chittyid::authority::{AuthorityApplication, DEFAULT_LISTEN, Settings};
use chittyid::data_dir;
use chittyid_domain::{Jurisdiction, Region, TrustLevel};

use super::trouble;

#[derive(Debug, clap::Args)]
pub(crate) struct AuthorityArgs {
    #[command(flatten)]
    log: super::LogArgs,
    /// Address to listen on: PORT, HOST:PORT or [IPv6]:PORT.
    #[arg(long, env = "CHITTYID_LISTEN", default_value = DEFAULT_LISTEN, value_parser = super::parse_listen)]
    listen: SocketAddr,
    /// Directory for the database and generated tokens [default: ~/.local/share/chittyid].
    #[arg(long, env = "CHITTYID_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL (postgres://...) for the counters and the ledger, shared by every authority
    /// process using it; unset keeps them in the data directory's SQLite file.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    #[arg(value_parser = super::secret)]
    database_url: Option<SecretString>,
    /// Accepted bearer tokens, comma-separated. Unset: read, or create and show once, the
    /// token file in the data directory.
    #[arg(
        long = "tokens",
        env = "CHITTYID_AUTHORITY_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    #[arg(value_parser = super::secret)]
    tokens: Vec<SecretString>,
    /// The mint log's signing key: a note signer-key file (`PRIVATE+KEY+<name>+...`), created
    /// (owner-only) if it does not exist. Unset: `log-signing-key` in the data directory.
    /// Every authority sharing one database must be given the same key.
    #[arg(
        long = "log-key",
        env = "CHITTYID_LOG_KEY_FILE",
        value_name = "FILE",
        global = true
    )]
    log_key: Option<PathBuf>,
    /// Region digit (1-9) for requests that give none.
    #[arg(long, env = "CHITTYID_DEFAULT_REGION", default_value_t = 1)]
    default_region: u8,
    /// Jurisdiction (ISO 3166-1 alpha-3) for requests that give none.
    #[arg(long, env = "CHITTYID_DEFAULT_JURISDICTION", default_value = "USA")]
    default_jurisdiction: String,
    /// Trust level (0-5) for requests that give none.
    #[arg(long, env = "CHITTYID_DEFAULT_TRUST_LEVEL", default_value_t = 0)]
    default_trust_level: u8,
    /// The most sequence counters reserved per store write (blocks start at 10 and double
    /// while they are used up within 15 s).
    #[arg(long, env = "CHITTYID_BLOCK_SIZE", default_value_t = 100)]
    block_size: u32,
    /// Sequence numbers per space (at most 10000); smaller only for testing exhaustion.
    #[arg(long, hide = true, default_value_t = 10_000, global = true)]
    space_capacity: u32,
    #[command(subcommand)]
    command: Option<AuthorityCommand>,
}

#[derive(Debug, clap::Subcommand)]
enum AuthorityCommand {
    /// List the sequence spaces of this authority's store, fullest first: how many of each
    /// space's 10,000 numbers are used (reserved, minted or not).
    Spaces {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Show at most this many spaces.
        #[arg(long, default_value_t = 20)]
        top: usize,
    },
    /// Check the store's mint log: recompute its tree, check it against every checkpoint the
    /// log key signed, and every leaf against the ledger's row. Prints each problem with its
    /// leaf index. Exit status: 0 intact, 1 tampered, 2 the check could not run.
    VerifyLog,
    /// Print a new mint log signing key (a note signer key, a secret) for `--log-key`: to give
    /// every authority of a fleet the same one.
    NewLogKey {
        /// The log's name (its checkpoints' origin), e.g. `id.example.com/mint-log`.
        #[arg(long)]
        name: Option<String>,
    },
}

impl AuthorityArgs {
    fn settings(&self) -> anyhow::Result<Settings> {
        let mut settings = Settings::new(
            self.data_dir
                .clone()
                .unwrap_or_else(data_dir::default_data_dir),
        );
        settings.listen = self.listen;
        settings.database_url = self
            .database_url
            .clone()
            .filter(|url| !url.expose_secret().trim().is_empty());
        settings.tokens = self
            .tokens
            .iter()
            .map(|t| t.expose_secret().trim())
            .filter(|t| !t.is_empty())
            .map(|t| SecretString::from(t.to_owned()))
            .collect();
        settings.log_key_file = self.log_key.clone();
        settings.default_region = Region::try_new(self.default_region)?;
        settings.default_jurisdiction = Jurisdiction::try_iso_3166(&self.default_jurisdiction)?;
        settings.default_trust_level = TrustLevel::try_new(self.default_trust_level)?;
        anyhow::ensure!(self.block_size > 0, "--block-size must be at least 1");
        settings.block_size = self.block_size;
        anyhow::ensure!(
            (1..=10_000).contains(&self.space_capacity),
            "--space-capacity must be 1 to 10000"
        );
        settings.space_capacity = self.space_capacity;
        Ok(settings)
    }
}

pub(crate) fn run(args: &AuthorityArgs) -> ExitCode {
    let settings = match args.settings() {
        Ok(settings) => settings,
        Err(err) => return trouble(format_args!("authority: {err:#}")),
    };
    match &args.command {
        Some(AuthorityCommand::Spaces { json, top }) => return spaces(&settings, *json, *top),
        Some(AuthorityCommand::VerifyLog) => return verify_log(&settings),
        Some(AuthorityCommand::NewLogKey { name }) => {
            return match chittyid::authority::new_log_key(name.as_deref()) {
                Ok(key) => {
                    println!("{}", key.encode());
                    ExitCode::SUCCESS
                }
                Err(err) => trouble(format_args!("authority new-log-key: {err:#}")),
            };
        }
        None => {}
    }
    super::run_server("authority", "chittyid-authority", &args.log, async {
        let app = AuthorityApplication::build(settings).await?;
        if let Some((token, path)) = &app.created_token {
            // Shown once, on the console, never through the log. A closed stdout is ignored:
            // the token is also in the token file.
            let _ = writeln!(
                std::io::stdout(),
                "Created an authority token (kept in {}); callers send it as\n  Authorization: Bearer {token}",
                path.display()
            );
        }
        app.run_until(super::shutdown_signal()).await;
        Ok(())
    })
}

/// `chittyid authority verify-log`.
fn verify_log(settings: &Settings) -> ExitCode {
    let checked = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(chittyid::authority::verify_log(settings)));
    let audit = match checked {
        Ok(audit) => audit,
        Err(err) => return trouble(format_args!("authority verify-log: {err:#}")),
    };
    let mut out = std::io::stdout().lock();
    for problem in &audit.problems {
        let _ = writeln!(out, "{}", problem.message);
    }
    let _ = writeln!(
        out,
        "{} leaves, {} checkpoints checked (the latest of {} leaves): {}",
        audit.leaves,
        audit.checkpoints,
        audit.checkpointed,
        if audit.problems.is_empty() {
            "intact".to_owned()
        } else {
            format!("{} problems", audit.problems.len())
        }
    );
    if audit.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `chittyid authority spaces`.
fn spaces(settings: &Settings, json: bool, top: usize) -> ExitCode {
    let listed = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(chittyid::authority::space_usage(settings)));
    let usage = match listed {
        Ok(usage) => usage,
        Err(err) => return trouble(format_args!("authority spaces: {err:#}")),
    };
    let capacity = settings.space_capacity;
    let ratio = |used: u32| f64::from(used) / f64::from(capacity.max(1));
    let mut out = std::io::stdout().lock();
    let written = if json {
        let listed: Vec<_> = usage
            .iter()
            .take(top)
            .map(|space| {
                serde_json::json!({
                    "space": space.space,
                    "used": space.used,
                    "capacity": capacity,
                    "usedRatio": ratio(space.used),
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::Value::Array(listed))
    } else {
        let mut text = String::from("SPACE\tUSED\tCAPACITY\tUSED %\n");
        for space in usage.iter().take(top) {
            text.push_str(&format!(
                "{}\t{}\t{}\t{:.1}\n",
                space.space,
                space.used,
                capacity,
                100.0 * ratio(space.used)
            ));
        }
        out.write_all(text.as_bytes())
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => trouble(format_args!("authority spaces: {err}")),
    }
}
