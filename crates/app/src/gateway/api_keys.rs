//! API keys as accounts: named keys with their own scopes and rate, kept in the store (so that
//! a fleet shares them), created, listed, rotated and revoked by operators. A key's secret is
//! shown once at creation and kept only as its SHA-256, as the keys from the environment are.
//!
//! The gateway answers from a [`KeyDirectory`]: the keys from the environment or a file of
//! hashes (every scope, the gateway's rate) and a snapshot of the stored accounts, refreshed
//! from the [`ApiKeyStore`] every few seconds, so that authenticating a request never waits on
//! the store.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::authority::CallerHash;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Mint IDs (`/api/id/generate`, `/v1/mint` and their batches).
    Generate,
    /// Validate and verify IDs (`/api/id/validate`, `/v1/validate`).
    Validate,
    /// Read `/metrics` when the gateway requires a key for it.
    Metrics,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Generate, Scope::Validate, Scope::Metrics];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Generate => "generate",
            Scope::Validate => "validate",
            Scope::Metrics => "metrics",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Scope::Generate => 1,
            Scope::Validate => 2,
            Scope::Metrics => 4,
        }
    }
}

/// A set of scopes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    pub const ALL: Scopes = Scopes(7);

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Reads `generate,validate` (comma-separated, in any order, at least one).
    pub fn parse(text: &str) -> Result<Self, ApiKeyInputError> {
        let mut bits = 0;
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let scope = Scope::ALL
                .into_iter()
                .find(|scope| scope.as_str() == name)
                .ok_or_else(|| ApiKeyInputError::UnknownScope(name.to_owned()))?;
            bits |= scope.bit();
        }
        if bits == 0 {
            return Err(ApiKeyInputError::NoScope);
        }
        Ok(Self(bits))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Scope::ALL
            .into_iter()
            .filter(|scope| self.contains(*scope))
            .map(Scope::as_str)
            .collect();
        f.write_str(&names.join(","))
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes({self})")
    }
}

/// The longest key name.
pub const MAX_KEY_NAME_LEN: usize = 64;

/// Why an operator's input for a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyInputError {
    #[error(
        "a key name is 1 to {MAX_KEY_NAME_LEN} characters of letters, digits, '-', '_' and '.'; got {0:?}"
    )]
    BadName(String),
    #[error("unknown scope {0:?}: the scopes are generate, validate and metrics")]
    UnknownScope(String),
    #[error("a key needs at least one scope")]
    NoScope,
    #[error("a rate is N/min, N/s or N/h with N at least 1 (or 0 for no limit); got {0:?}")]
    BadRate(String),
}

/// A key's name: what audit rows, metrics and `keys list` call it.
pub fn check_key_name(name: &str) -> Result<(), ApiKeyInputError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_KEY_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(ApiKeyInputError::BadName(name.to_owned()))
    }
}

/// Reads a rate as IDs per minute: `6000/min`, `100/s`, `360000/h`, or a bare number per
/// minute. `Some(0)` means no limit.
pub fn parse_rate_per_minute(text: &str) -> Result<u32, ApiKeyInputError> {
    let bad = || ApiKeyInputError::BadRate(text.to_owned());
    let (count, per) = text.trim().split_once('/').unwrap_or((text.trim(), "min"));
    let count: u64 = count.trim().parse().map_err(|_| bad())?;
    let per_minute = match per.trim() {
        "min" | "m" | "minute" => count,
        "s" | "sec" | "second" => count.checked_mul(60).ok_or_else(bad)?,
        "h" | "hour" => count.div_ceil(60),
        _ => return Err(bad()),
    };
    u32::try_from(per_minute).map_err(|_| bad())
}

/// One stored key (one secret; a rotation adds another secret under the same name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyAccount {
    /// Public identifier of this secret (`key_` and 12 hex digits).
    pub id: String,
    pub name: String,
    /// SHA-256 of the secret; the secret itself is never kept.
    pub secret_hash: CallerHash,
    pub scopes: Scopes,
    /// IDs per minute: `None` for the gateway's default, `Some(0)` for no limit.
    pub rate_per_minute: Option<u32>,
    pub created_at_unix_ms: i64,
    /// After this the secret is refused (the end of a rotation's overlap).
    pub expires_at_unix_ms: Option<i64>,
    pub revoked_at_unix_ms: Option<i64>,
}

/// An account's columns as both SQL stores keep them (hashes as hex, scopes as text, times as
/// Unix milliseconds).
#[derive(Debug)]
pub struct ApiKeyColumns {
    pub id: String,
    pub name: String,
    pub secret_hash: String,
    pub scopes: String,
    pub rate_per_minute: Option<i64>,
    pub created_at_unix_ms: i64,
    pub expires_at_unix_ms: Option<i64>,
    pub revoked_at_unix_ms: Option<i64>,
}

impl TryFrom<ApiKeyColumns> for ApiKeyAccount {
    type Error = anyhow::Error;

    fn try_from(row: ApiKeyColumns) -> Result<Self, Self::Error> {
        use anyhow::Context;
        Ok(Self {
            secret_hash: CallerHash::from_hex(&row.secret_hash).with_context(|| {
                format!(
                    "secret_hash {:?} is not a SHA-256 hex digest",
                    row.secret_hash
                )
            })?,
            scopes: Scopes::parse(&row.scopes)
                .with_context(|| format!("scopes {:?}", row.scopes))?,
            rate_per_minute: row
                .rate_per_minute
                .map(u32::try_from)
                .transpose()
                .context("rate_per_minute")?,
            id: row.id,
            name: row.name,
            created_at_unix_ms: row.created_at_unix_ms,
            expires_at_unix_ms: row.expires_at_unix_ms,
            revoked_at_unix_ms: row.revoked_at_unix_ms,
        })
    }
}

impl ApiKeyAccount {
    pub fn is_active(&self, now_unix_ms: i64) -> bool {
        self.revoked_at_unix_ms.is_none()
            && self
                .expires_at_unix_ms
                .is_none_or(|expires| now_unix_ms < expires)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("no key is named {0:?}")]
    NotFound(String),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Where accounts are kept: the gateway's SQL store.
#[dynosaur::dynosaur(pub DynApiKeyStore = dyn(box) ApiKeyStore)]
#[allow(
    unreachable_pub,
    reason = "re-exported from `gateway`; the lint misreads the trait dynosaur re-emits"
)]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new account (a new key, or a new secret for a name during a rotation).
    fn create_key(
        &self,
        account: &ApiKeyAccount,
    ) -> impl Future<Output = Result<(), ApiKeyError>> + Send;

    /// Every account, revoked and expired ones included, oldest first.
    fn list_keys(&self) -> impl Future<Output = Result<Vec<ApiKeyAccount>, ApiKeyError>> + Send;

    /// Revokes every secret named `name` not yet revoked; how many.
    fn revoke_key(
        &self,
        name: &str,
        now_unix_ms: i64,
    ) -> impl Future<Output = Result<u64, ApiKeyError>> + Send;

    /// Makes every active secret of `name` but `keep_id` expire at `at_unix_ms` (a rotation's
    /// overlap); how many.
    fn expire_other_keys(
        &self,
        name: &str,
        keep_id: &str,
        at_unix_ms: i64,
    ) -> impl Future<Output = Result<u64, ApiKeyError>> + Send;
}

/// What a request's key may do, as the gateway holds it.
#[derive(Debug, Clone)]
pub struct KeyGrant {
    pub name: Arc<str>,
    pub scopes: Scopes,
    /// IDs per minute: `None` for the gateway's default, `Some(0)` for no limit.
    pub rate_per_minute: Option<u32>,
    pub expires_at_unix_ms: Option<i64>,
    /// Requests admitted under this key's name, for the metrics.
    pub uses: Arc<KeyUses>,
}

/// Requests admitted under one key name, by scope.
#[derive(Debug, Default)]
pub struct KeyUses {
    generate: AtomicU64,
    validate: AtomicU64,
}

impl KeyUses {
    /// Counts a generate or validate request (scrapes are not counted).
    pub fn record(&self, scope: Scope) {
        let counter = match scope {
            Scope::Generate => &self.generate,
            Scope::Validate => &self.validate,
            Scope::Metrics => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Requests admitted under one key name so far: (name, generate, validate).
pub type KeyUsage = (Arc<str>, u64, u64);

/// The keys a gateway accepts, by the SHA-256 of their secrets.
#[derive(Debug, Default)]
pub struct KeyDirectory {
    /// From the environment or a file of hashes: every scope, the default rate.
    fixed: HashMap<[u8; 32], KeyGrant>,
    /// The active stored accounts, replaced whole by each refresh.
    stored: RwLock<Arc<HashMap<[u8; 32], KeyGrant>>>,
    /// Uses by key name, kept across refreshes and rotations (a name's secrets share them).
    uses: Mutex<HashMap<Arc<str>, Arc<KeyUses>>>,
}

impl KeyDirectory {
    /// The keys given by digest (environment, file of hashes), all named `name`.
    pub fn with_fixed(digests: impl IntoIterator<Item = [u8; 32]>, name: &str) -> Self {
        let name: Arc<str> = Arc::from(name);
        let uses = Arc::new(KeyUses::default());
        Self {
            uses: Mutex::new(HashMap::from([(Arc::clone(&name), Arc::clone(&uses))])),
            fixed: digests
                .into_iter()
                .map(|digest| {
                    (
                        digest,
                        KeyGrant {
                            name: Arc::clone(&name),
                            scopes: Scopes::ALL,
                            rate_per_minute: None,
                            expires_at_unix_ms: None,
                            uses: Arc::clone(&uses),
                        },
                    )
                })
                .collect(),
            stored: RwLock::default(),
        }
    }

    /// Replaces the stored accounts with the active ones of `accounts`.
    pub fn replace_stored(&self, accounts: &[ApiKeyAccount], now_unix_ms: i64) {
        let mut uses = self.uses.lock().unwrap_or_else(PoisonError::into_inner);
        let active = accounts
            .iter()
            .filter(|account| account.is_active(now_unix_ms))
            .map(|account| {
                let name: Arc<str> = Arc::from(account.name.as_str());
                let uses = Arc::clone(uses.entry(Arc::clone(&name)).or_default());
                (
                    account.secret_hash.0,
                    KeyGrant {
                        name,
                        scopes: account.scopes,
                        rate_per_minute: account.rate_per_minute,
                        expires_at_unix_ms: account.expires_at_unix_ms,
                        uses,
                    },
                )
            })
            .collect();
        *self.stored.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(active);
    }

    /// The grant of the key whose secret hashes to `digest`, if it is accepted now. A hash
    /// lookup: the digest of a guess says nothing about the digests held.
    pub fn find(&self, digest: &[u8; 32], now_unix_ms: i64) -> Option<KeyGrant> {
        self.with_grant(digest, now_unix_ms, KeyGrant::clone)
    }

    /// `read` of the grant of the key whose secret hashes to `digest`, if it is accepted now,
    /// without copying it: the per-request path (a clone costs two shared reference counts).
    pub fn with_grant<R>(
        &self,
        digest: &[u8; 32],
        now_unix_ms: i64,
        read: impl FnOnce(&KeyGrant) -> R,
    ) -> Option<R> {
        if let Some(grant) = self.fixed.get(digest) {
            return Some(read(grant));
        }
        let stored = self.stored.read().unwrap_or_else(PoisonError::into_inner);
        stored
            .get(digest)
            .filter(|grant| {
                grant
                    .expires_at_unix_ms
                    .is_none_or(|expires| now_unix_ms < expires)
            })
            .map(read)
    }

    /// The rate of the key whose secret hashes to `caller`: `None` for the gateway's default.
    pub fn rate_of(&self, caller: &CallerHash) -> Option<u32> {
        if self.fixed.contains_key(&caller.0) {
            return None;
        }
        let stored = self.stored.read().unwrap_or_else(PoisonError::into_inner);
        stored
            .get(&caller.0)
            .and_then(|grant| grant.rate_per_minute)
    }

    /// Requests admitted so far under each key name, by name.
    pub fn usage(&self) -> Vec<KeyUsage> {
        let uses = self.uses.lock().unwrap_or_else(PoisonError::into_inner);
        let mut usage: Vec<KeyUsage> = uses
            .iter()
            .map(|(name, uses)| {
                (
                    Arc::clone(name),
                    uses.generate.load(Ordering::Relaxed),
                    uses.validate.load(Ordering::Relaxed),
                )
            })
            .collect();
        usage.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        usage
    }

    /// Keys accepted (fixed and stored).
    pub fn len(&self) -> usize {
        self.fixed.len()
            + self
                .stored
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_ids_per_minute() {
        assert_eq!(parse_rate_per_minute("6000/min"), Ok(6000));
        assert_eq!(parse_rate_per_minute("100/s"), Ok(6000));
        assert_eq!(parse_rate_per_minute("61/h"), Ok(2));
        assert_eq!(parse_rate_per_minute("250"), Ok(250));
        assert_eq!(parse_rate_per_minute("0"), Ok(0));
        assert!(parse_rate_per_minute("fast").is_err());
        assert!(parse_rate_per_minute("10/day").is_err());
        assert!(parse_rate_per_minute("99999999999/s").is_err());
    }

    #[test]
    fn scopes_parse_and_print() {
        assert_eq!(Scopes::parse("validate, generate,metrics"), Ok(Scopes::ALL));
        let validate = Scopes::parse("validate").expect("a scope");
        assert!(validate.contains(Scope::Validate) && !validate.contains(Scope::Generate));
        assert_eq!(validate.to_string(), "validate");
        assert_eq!(Scopes::ALL.to_string(), "generate,validate,metrics");
        assert!(matches!(
            Scopes::parse("admin"),
            Err(ApiKeyInputError::UnknownScope(_))
        ));
        assert_eq!(Scopes::parse(" , "), Err(ApiKeyInputError::NoScope));
    }

    #[test]
    fn names_are_short_and_plain() {
        assert!(check_key_name("chittychat").is_ok());
        assert!(check_key_name("ci.v2_main-1").is_ok());
        assert!(check_key_name("").is_err());
        assert!(check_key_name("two words").is_err());
        assert!(check_key_name(&"n".repeat(65)).is_err());
    }

    #[test]
    fn the_directory_accepts_active_keys_until_they_expire() {
        let account =
            |id: &str, secret: &str, expires: Option<i64>, revoked: Option<i64>| ApiKeyAccount {
                id: id.to_owned(),
                name: "chittychat".to_owned(),
                secret_hash: CallerHash::of_token(secret),
                scopes: Scopes::ALL,
                rate_per_minute: Some(6000),
                created_at_unix_ms: 0,
                expires_at_unix_ms: expires,
                revoked_at_unix_ms: revoked,
            };
        let directory = KeyDirectory::with_fixed([CallerHash::of_token("env").0], "environment");
        directory.replace_stored(
            &[
                account("key_1", "old", Some(1_000), None),
                account("key_2", "new", None, None),
                account("key_3", "gone", None, Some(10)),
            ],
            500,
        );
        let digest = |secret: &str| CallerHash::of_token(secret).0;
        assert_eq!(
            directory.find(&digest("env"), 0).map(|g| g.name),
            Some(Arc::from("environment"))
        );
        assert!(directory.find(&digest("old"), 999).is_some());
        assert!(
            directory.find(&digest("old"), 1_000).is_none(),
            "the overlap ended"
        );
        assert!(directory.find(&digest("new"), 1_000).is_some());
        assert!(directory.find(&digest("gone"), 0).is_none());
        assert!(directory.find(&digest("never"), 0).is_none());
        let grant = directory.find(&digest("new"), 0).expect("accepted");
        grant.uses.record(Scope::Generate);
        directory.replace_stored(&[account("key_2", "new", None, None)], 500);
        let again = directory.find(&digest("new"), 0).expect("accepted");
        again.uses.record(Scope::Validate);
        assert_eq!(
            directory.usage(),
            [
                (Arc::from("chittychat"), 1, 1),
                (Arc::from("environment"), 0, 0)
            ],
            "uses are kept by name across refreshes"
        );
        assert_eq!(directory.rate_of(&CallerHash::of_token("new")), Some(6000));
        assert_eq!(directory.rate_of(&CallerHash::of_token("env")), None);
    }
}
