//! `chittyid keys`: API key accounts in the gateway's store (the embedded file, or PostgreSQL
//! with `DATABASE_URL`), so that every gateway on that store accepts them within
//! [`crate::gateway::KEY_REFRESH_EVERY`].

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use chittyid_app::authority::CallerHash;
use chittyid_app::gateway::{
    ApiKeyAccount, ApiKeyStore, Clock, DynApiKeyStore, Scopes, SystemClock, check_key_name,
};

use crate::store::Store;

/// The store a gateway with these settings keeps its keys in: the authority's file in the
/// embedded default, `gateway.db` in front of a remote authority, or PostgreSQL.
pub async fn open_store(
    data_dir: &Path,
    database_url: Option<&str>,
    remote_authority: bool,
) -> anyhow::Result<Store> {
    crate::data_dir::ensure(data_dir)?;
    let file = if remote_authority {
        crate::gateway::AUDIT_DATABASE_FILE
    } else {
        crate::authority::DATABASE_FILE
    };
    Store::open(database_url, &data_dir.join(file)).await
}

/// A key just created, with the secret to show once.
#[derive(Debug)]
pub struct CreatedKey {
    pub account: ApiKeyAccount,
    pub secret: String,
}

fn new_key(
    name: &str,
    scopes: Scopes,
    rate_per_minute: Option<u32>,
    now: i64,
) -> anyhow::Result<CreatedKey> {
    check_key_name(name)?;
    let secret = crate::data_dir::new_token("cik_")?;
    let id = crate::data_dir::new_token("key_")?[..16].to_owned();
    Ok(CreatedKey {
        account: ApiKeyAccount {
            id,
            name: name.to_owned(),
            secret_hash: CallerHash::of_token(&secret),
            scopes,
            rate_per_minute,
            created_at_unix_ms: now,
            expires_at_unix_ms: None,
            revoked_at_unix_ms: None,
        },
        secret,
    })
}

/// Creates a key named `name`; a name already active is refused (rotate it instead).
pub async fn create(
    store: &DynApiKeyStore<'_>,
    name: &str,
    scopes: Scopes,
    rate_per_minute: Option<u32>,
) -> anyhow::Result<CreatedKey> {
    let now = SystemClock::default().unix_ms();
    let existing = store.list_keys().await?;
    anyhow::ensure!(
        !existing.iter().any(|k| k.name == name && k.is_active(now)),
        "a key named {name:?} exists already: rotate it (chittyid keys rotate {name}) or revoke it first"
    );
    let created = new_key(name, scopes, rate_per_minute, now)?;
    store.create_key(&created.account).await?;
    Ok(created)
}

/// A new secret for `name`, with the scopes and rate of its newest active secret; the others
/// keep working for `overlap`, then are refused.
pub async fn rotate(
    store: &DynApiKeyStore<'_>,
    name: &str,
    overlap: Duration,
) -> anyhow::Result<CreatedKey> {
    let now = SystemClock::default().unix_ms();
    let existing = store.list_keys().await?;
    let newest = existing
        .iter()
        .rev()
        .find(|k| k.name == name && k.is_active(now))
        .with_context(|| format!("no active key is named {name:?}"))?;
    let created = new_key(name, newest.scopes, newest.rate_per_minute, now)?;
    store.create_key(&created.account).await?;
    let overlap_ms = i64::try_from(overlap.as_millis()).unwrap_or(i64::MAX);
    store
        .expire_other_keys(name, &created.account.id, now.saturating_add(overlap_ms))
        .await?;
    Ok(created)
}

/// Revokes every secret of `name`; how many.
pub async fn revoke(store: &DynApiKeyStore<'_>, name: &str) -> anyhow::Result<u64> {
    let revoked = store
        .revoke_key(name, SystemClock::default().unix_ms())
        .await?;
    anyhow::ensure!(revoked > 0, "no key named {name:?} is active");
    Ok(revoked)
}

/// Every key, revoked and expired ones included, oldest first.
pub async fn list(store: &DynApiKeyStore<'_>) -> anyhow::Result<Vec<ApiKeyAccount>> {
    Ok(store.list_keys().await?)
}

/// A key's state now: `active`, `expires <when>` (in a rotation's overlap), `expired`,
/// `revoked`.
pub fn status(account: &ApiKeyAccount, now: i64) -> String {
    match (account.revoked_at_unix_ms, account.expires_at_unix_ms) {
        (Some(_), _) => "revoked".to_owned(),
        (None, Some(expires)) if expires <= now => "expired".to_owned(),
        (None, Some(expires)) => format!("expires in {}s", (expires - now + 999) / 1_000),
        (None, None) => "active".to_owned(),
    }
}
