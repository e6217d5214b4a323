//! The gateway's settings in layers: the defaults at the bottom, then the config file
//! (`--config`), then the environment and flags, which clap reads as one layer (a flag wins over
//! its variable). A [`Layer`] is what one layer says, typed; [`Layer::over`] stacks two;
//! [`Layer::settings`] resolves the stack onto the defaults ([`Settings::new`] and the
//! constants of `GatewayConfig`), so each default is written once. Secrets (the database and
//! Redis URLs, the authority token, API keys) are read only from the environment or flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chittyid::data_dir;
use chittyid::gateway::{DEFAULT_LISTEN, Durability, Settings, Upstream};
use chittyid_app::gateway::GatewayConfig;
use chittyid_domain::resilience::ResilienceConfig;
use secrecy::{ExposeSecret, SecretString};

use super::ServeArgs;

/// `--durability`: what a commit to the gateway's own SQLite file survives.
#[derive(Debug, Clone, Copy, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum DurabilityArg {
    ProcessCrash,
    PowerLoss,
}

impl From<DurabilityArg> for Durability {
    fn from(arg: DurabilityArg) -> Self {
        match arg {
            DurabilityArg::ProcessCrash => Durability::ProcessCrash,
            DurabilityArg::PowerLoss => Durability::PowerLoss,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, serde::Deserialize)]
pub(super) enum Preset {
    #[serde(rename = "recommended")]
    Recommended,
    #[value(name = "v2.2.0")]
    #[serde(rename = "v2.2.0")]
    V220,
}

/// `--config FILE`: JSON with any of these keys (`serviceCa` too). Flags and environment variables win over it;
/// secrets (the authority token, API keys) are not read from it, only a file of key hashes.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConfigFile {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    service_url: Option<String>,
    service_ca: Option<PathBuf>,
    api_keys_file: Option<PathBuf>,
    rate_limit: Option<u32>,
    validation_limit: Option<u32>,
    audit_retention_days: Option<u32>,
    resilience: Option<Preset>,
    metrics_require_key: Option<bool>,
    /// Entity names outside the nine: `{"SESSION": "CONTEXT"}`.
    entity_aliases: Option<std::collections::BTreeMap<String, String>>,
    /// Origins whose browsers may call the gateway.
    cors_origins: Option<Vec<String>>,
    durability: Option<DurabilityArg>,
    /// The authority's mint log verifier key: verify from its proofs.
    authority_log_key: Option<String>,
}

impl ConfigFile {
    fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// What one layer says; `None` falls through to the layer below.
#[derive(Debug, Default)]
pub(super) struct Layer {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    service_url: Option<SecretString>,
    service_ca: Option<PathBuf>,
    api_keys_file: Option<PathBuf>,
    rate_limit: Option<u32>,
    validation_limit: Option<u32>,
    audit_retention_days: Option<u32>,
    resilience: Option<Preset>,
    metrics_require_key: Option<bool>,
    /// `ALIAS=NAME` entries. A stack keeps every layer's, the upper layer's last, so that they
    /// replace the lower ones' for the same alias.
    entity_aliases: Vec<String>,
    cors_origins: Option<Vec<String>>,
    durability: Option<DurabilityArg>,
    authority_log_key: Option<String>,
}

impl Layer {
    /// The config file at `path`; a fault names the file or the key.
    pub(super) fn from_file(path: &Path) -> Result<Self, String> {
        let file = ConfigFile::load(path)?;
        let listen = file
            .listen
            .as_deref()
            .map(super::super::parse_listen)
            .transpose()
            .map_err(|err| format!("listen: {err}"))?;
        Ok(Self {
            listen,
            data_dir: file.data_dir,
            service_url: file.service_url.map(SecretString::from),
            service_ca: file.service_ca,
            api_keys_file: file.api_keys_file,
            rate_limit: file.rate_limit,
            validation_limit: file.validation_limit,
            audit_retention_days: file.audit_retention_days,
            resilience: file.resilience,
            metrics_require_key: file.metrics_require_key,
            entity_aliases: file
                .entity_aliases
                .into_iter()
                .flatten()
                .map(|(alias, name)| format!("{alias}={name}"))
                .collect(),
            cors_origins: file.cors_origins,
            durability: file.durability,
            authority_log_key: file.authority_log_key,
        })
    }

    /// The environment and flags (clap has put each flag over its variable).
    pub(super) fn from_args(args: &ServeArgs) -> Self {
        Self {
            listen: args.listen,
            data_dir: args.data_dir.clone(),
            service_url: args.service_url.clone(),
            service_ca: args.service_ca.clone(),
            api_keys_file: args.api_keys_file.clone(),
            rate_limit: args.rate_limit,
            validation_limit: args.validation_limit,
            audit_retention_days: args.audit_retention_days,
            resilience: args.resilience,
            // A switch: given, it says true; absent, it says nothing.
            metrics_require_key: args.metrics_require_key.then_some(true),
            entity_aliases: args.entity_aliases.clone(),
            cors_origins: (!args.cors_origins.is_empty()).then(|| args.cors_origins.clone()),
            durability: args.durability,
            authority_log_key: args.authority_log_key.clone(),
        }
    }

    /// This layer above `below`: what this one says wins.
    pub(super) fn over(self, below: Self) -> Self {
        Self {
            listen: self.listen.or(below.listen),
            data_dir: self.data_dir.or(below.data_dir),
            service_url: self.service_url.or(below.service_url),
            service_ca: self.service_ca.or(below.service_ca),
            api_keys_file: self.api_keys_file.or(below.api_keys_file),
            rate_limit: self.rate_limit.or(below.rate_limit),
            validation_limit: self.validation_limit.or(below.validation_limit),
            audit_retention_days: self.audit_retention_days.or(below.audit_retention_days),
            resilience: self.resilience.or(below.resilience),
            metrics_require_key: self.metrics_require_key.or(below.metrics_require_key),
            entity_aliases: below
                .entity_aliases
                .into_iter()
                .chain(self.entity_aliases)
                .collect(),
            cors_origins: self.cors_origins.or(below.cors_origins),
            durability: self.durability.or(below.durability),
            authority_log_key: self.authority_log_key.or(below.authority_log_key),
        }
    }

    /// The settings this stack says, on the defaults, with the secrets from `args`.
    pub(super) fn settings(self, args: &ServeArgs) -> Settings {
        let mut settings = Settings::new(self.data_dir.unwrap_or_else(data_dir::default_data_dir));
        settings.listen = self
            .listen
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("a valid address"));
        settings.database_url = args
            .database_url
            .clone()
            .filter(|url| !url.expose_secret().trim().is_empty());
        settings.redis = args
            .redis_url
            .as_ref()
            .map(ExposeSecret::expose_secret)
            .filter(|url| !url.trim().is_empty())
            .map(|url| {
                let mut redis = chittyid_redis::RedisSettings::new(url);
                if let Some(prefix) = args.redis_prefix.as_deref().filter(|p| !p.is_empty()) {
                    redis.prefix = prefix.to_owned();
                }
                redis
            });
        settings.api_keys = args
            .api_keys
            .iter()
            .map(|k| k.expose_secret().trim())
            .filter(|k| !k.is_empty())
            .map(|k| SecretString::from(k.to_owned()))
            .collect();
        settings.api_key_hashes_file = self.api_keys_file;
        let rate_limit = self.rate_limit.unwrap_or(GatewayConfig::DEFAULT_RATE_LIMIT);
        settings.gateway.rate_limit_per_minute = (rate_limit > 0).then_some(rate_limit);
        let validation_limit = self
            .validation_limit
            .unwrap_or(GatewayConfig::DEFAULT_VALIDATION_LIMIT);
        settings.gateway.validation_limit_per_minute =
            (validation_limit > 0).then_some(validation_limit);
        if let Some(days) = self.audit_retention_days {
            settings.gateway.audit_retention =
                (days > 0).then(|| std::time::Duration::from_secs(u64::from(days) * 24 * 60 * 60));
        }
        settings.metrics_require_key = self.metrics_require_key.unwrap_or(false);
        settings.authority_log_key = self
            .authority_log_key
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty());
        settings.entity_aliases = self.entity_aliases;
        settings.cors_origins = self.cors_origins.unwrap_or_default();
        if let Some(durability) = self.durability {
            settings.durability = durability.into();
        }
        settings.gateway.resilience = match self.resilience.unwrap_or(Preset::Recommended) {
            Preset::Recommended => ResilienceConfig::recommended(),
            Preset::V220 => ResilienceConfig::v2_2_0(),
        };
        if let Some(url) = self
            .service_url
            .filter(|u| !u.expose_secret().trim().is_empty())
        {
            settings.upstream = Upstream::Remote {
                url,
                token: args.token.clone(),
                ca_file: self.service_ca,
            };
        }
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(rate_limit: Option<u32>, aliases: &[&str], require_key: Option<bool>) -> Layer {
        Layer {
            rate_limit,
            entity_aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            metrics_require_key: require_key,
            ..Layer::default()
        }
    }

    #[test]
    fn an_upper_layer_wins_and_an_unset_field_falls_through() {
        let flags = layer(Some(5), &["CASE=EVNT"], None);
        let file = layer(Some(50), &["CASE=INFO", "SESSION=PEO"], Some(true));
        let stack = flags.over(file);
        assert_eq!(stack.rate_limit, Some(5));
        // The switch was not given: the file's true stands.
        assert_eq!(stack.metrics_require_key, Some(true));
        // Every alias kept, the flags' last so that theirs replace the file's.
        assert_eq!(
            stack.entity_aliases,
            ["CASE=INFO", "SESSION=PEO", "CASE=EVNT"]
        );
        let bare = Layer::default().over(Layer::default());
        assert_eq!(bare.rate_limit, None);
    }

    #[test]
    fn the_authority_log_key_is_read_from_the_config_file_and_flags_win() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"authorityLogKey": "from-the-file"}"#).expect("writes");
        let file = Layer::from_file(&path).expect("reads");
        assert_eq!(file.authority_log_key.as_deref(), Some("from-the-file"));
        let flags = Layer {
            authority_log_key: Some("from-a-flag".to_owned()),
            ..Layer::default()
        };
        assert_eq!(
            flags.over(file).authority_log_key.as_deref(),
            Some("from-a-flag")
        );
    }
}
