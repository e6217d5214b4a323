//! The verdict cache in two levels: this process's LRU in front, Redis behind it for every
//! gateway, both by the domain's cache policy (a verdict lives `ttl`, "not minted here" the
//! shorter `negative_ttl`).

use std::sync::atomic::{AtomicU64, Ordering};

use chittyid_app::gateway::{
    CacheError, CacheReport, Clock, InProcessCache, MintFacts, MintVerdict, SharedCacheStats,
    SystemClock, VerdictCache,
};
use chittyid_domain::ChittyId;
use chittyid_domain::resilience::CachePolicy;
use redis::AsyncCommands;

use crate::link::RedisLink;

#[derive(Debug)]
pub struct TieredCache<C = SystemClock> {
    local: InProcessCache<C>,
    link: RedisLink,
    /// Which authority the verdicts are of: gateways in front of different authorities that
    /// share a Redis prefix must not answer each other's verifications.
    scope: String,
    policy: CachePolicy,
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
}

impl TieredCache {
    /// `authority` names the authority whose verdicts these are (its base URL, or the store of
    /// an embedded one); only a digest of it is kept in Redis keys.
    pub fn new(policy: CachePolicy, link: RedisLink, authority: &str) -> Self {
        Self::with_clock(policy, link, authority, SystemClock::default())
    }
}

/// The first 16 hex digits of SHA-256 of `authority`: short, and reveals nothing of it.
fn scope_of(authority: &str) -> String {
    chittyid_app::authority::to_hex(
        &chittyid_app::authority::CallerHash::of_token(authority).0[..8],
    )
}

impl<C: Clock> TieredCache<C> {
    pub fn with_clock(policy: CachePolicy, link: RedisLink, authority: &str, clock: C) -> Self {
        Self {
            local: InProcessCache::with_clock(policy, clock),
            link,
            scope: scope_of(authority),
            policy,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    /// Drops the in-process level's expired entries (Redis expires its own).
    pub fn sweep(&self) -> usize {
        self.local.sweep()
    }

    fn key(&self, id: &ChittyId) -> String {
        self.link
            .key("verdict", &format!("{}:{}", self.scope, id.as_str()))
    }
}

impl<C: Clock> VerdictCache for TieredCache<C> {
    fn sweep(&self) -> usize {
        TieredCache::sweep(self)
    }

    async fn get(&self, id: &ChittyId) -> Result<Option<MintVerdict>, CacheError> {
        if let Some(verdict) = self.local.get(id).await? {
            return Ok(Some(verdict));
        }
        let key = self.key(id);
        match self
            .link
            .call(|mut conn| async move { conn.get::<_, Option<String>>(key).await })
            .await
        {
            Ok(Some(value)) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                let verdict = decode_verdict(&value);
                self.local.put(id, &verdict).await?;
                Ok(Some(verdict))
            }
            Ok(None) => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
            Err(err) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(error = %err, "shared verdict cache unavailable; asking the authority");
                Ok(None)
            }
        }
    }

    async fn put(&self, id: &ChittyId, verdict: &MintVerdict) -> Result<(), CacheError> {
        self.local.put(id, verdict).await?;
        let key = self.key(id);
        let ttl_ms =
            u64::try_from(self.policy.ttl_for(verdict.is_minted()).as_millis()).unwrap_or(u64::MAX);
        let value = encode_verdict(verdict);
        let stored = self
            .link
            .call(|mut conn| async move { conn.pset_ex::<_, _, ()>(key, value, ttl_ms).await })
            .await;
        if stored.is_err() {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    async fn stats(&self) -> Result<CacheReport, CacheError> {
        // Health asks through here: with no traffic yet (or since an outage), a ping says
        // whether Redis answers now (bounded, and skipped moments after a failure).
        if !self.link.is_available() {
            let _ = self.link.ping().await;
        }
        let local = self.local.stats().await?.local;
        Ok(CacheReport {
            local,
            shared: Some(SharedCacheStats {
                hits: self.hits.load(Ordering::Relaxed),
                misses: self.misses.load(Ordering::Relaxed),
                errors: self.errors.load(Ordering::Relaxed),
                available: self.link.is_available(),
            }),
        })
    }
}

/// A verdict as stored in Redis: `0` not minted; `1` minted, then the entity and the minting
/// time on lines of their own when the authority gave them (neither holds a line break:
/// [`MintFacts::from_answer`] keeps printable ASCII only). A bare `1`, as earlier versions
/// stored it, reads as minted with nothing more known.
fn encode_verdict(verdict: &MintVerdict) -> String {
    match verdict {
        MintVerdict::NotMinted => "0".to_owned(),
        MintVerdict::Minted(facts) => format!(
            "1\n{}\n{}",
            facts.entity.as_deref().unwrap_or_default(),
            facts.minted_at.as_deref().unwrap_or_default()
        ),
    }
}

fn decode_verdict(value: &str) -> MintVerdict {
    let mut lines = value.split('\n');
    if lines.next() != Some("1") {
        return MintVerdict::NotMinted;
    }
    let (entity, minted_at) = (lines.next(), lines.next());
    MintVerdict::Minted(MintFacts::from_answer(entity, minted_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_read_back_as_stored() {
        let minted = MintVerdict::Minted(MintFacts {
            entity: Some("SESSION".to_owned()),
            minted_at: Some("2026-11-01T00:00:00.000Z".to_owned()),
        });
        let partly = MintVerdict::Minted(MintFacts {
            entity: None,
            minted_at: Some("2026-11-01T00:00:00.000Z".to_owned()),
        });
        for verdict in [minted, partly, MintVerdict::NotMinted] {
            assert_eq!(decode_verdict(&encode_verdict(&verdict)), verdict);
        }
        // As earlier versions stored them.
        assert_eq!(
            decode_verdict("1"),
            MintVerdict::Minted(MintFacts::default())
        );
        assert_eq!(decode_verdict("0"), MintVerdict::NotMinted);
    }
}
