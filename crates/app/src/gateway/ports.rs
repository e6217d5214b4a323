//! What the gateway needs from the outside world: the authority it mints through, a cache of
//! the authority's verdicts, an audit log, and clocks.

use std::future::Future;
use std::time::Duration;

use chittyid_domain::ChittyId;
use chittyid_domain::resilience::{CacheStats, FailureKind};

use super::idempotency::UpstreamKey;
use crate::authority::{CallerHash, MintRequest};

/// How a call to the authority failed, as the upstream adapter classifies it.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    #[error("the authority refused the connection")]
    ConnectionRefused,
    #[error("the authority's address did not resolve")]
    Dns,
    #[error("the connection to the authority broke")]
    ConnectionReset,
    #[error("the authority did not answer in time")]
    Timeout,
    #[error("the authority is rate limiting this gateway")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the authority is unavailable")]
    Unavailable { retry_after: Option<Duration> },
    #[error("the authority failed with status {status}")]
    ServerError { status: u16 },
    /// The authority refused the request itself (a 4xx other than 401, 403 and 429); its
    /// message is safe to show the caller.
    #[error("{message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    /// 401 or 403: the gateway's own credentials are missing or wrong.
    #[error("the authority did not accept this gateway's token")]
    Unauthorized,
    /// A 2xx with a body that made no sense, or an ID that is not canonical.
    #[error("the authority answered with something that is not a valid answer: {0}")]
    MalformedResponse(String),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl AuthorityError {
    /// The class the retry policy decides on.
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            Self::ConnectionRefused => FailureKind::ConnectionRefused,
            Self::Dns => FailureKind::Dns,
            Self::ConnectionReset | Self::Unknown(_) => FailureKind::ConnectionReset,
            Self::Timeout => FailureKind::Timeout,
            Self::RateLimited { retry_after } => FailureKind::RateLimited {
                retry_after: *retry_after,
            },
            Self::Unavailable { retry_after } => FailureKind::Unavailable {
                retry_after: *retry_after,
            },
            Self::ServerError { status } => FailureKind::ServerError { status: *status },
            Self::Rejected { status, .. } => FailureKind::ClientError { status: *status },
            Self::Unauthorized => FailureKind::ClientError { status: 401 },
            Self::MalformedResponse(_) => FailureKind::MalformedResponse,
        }
    }

    /// Whether the call may have done its work all the same: the request may have reached the
    /// authority and been served, and only the answer was lost or unreadable.
    pub fn may_have_succeeded(&self) -> bool {
        matches!(
            self,
            Self::Timeout
                | Self::ConnectionReset
                | Self::Unknown(_)
                | Self::ServerError { .. }
                | Self::MalformedResponse(_)
        )
    }

    /// Whether the failure says the authority is unhealthy (and so counts at the breaker).
    /// A refused request or a credentials problem says nothing about its health.
    pub fn is_upstream_fault(&self) -> bool {
        !matches!(self, Self::Rejected { .. } | Self::Unauthorized)
    }
}

/// The ChittyID authority, over HTTP or in process.
#[dynosaur::dynosaur(pub DynMintAuthority = dyn(box) MintAuthority)]
#[allow(
    unreachable_pub,
    reason = "re-exported from `gateway`; the lint misreads the trait dynosaur re-emits"
)]
pub trait MintAuthority: Send + Sync {
    /// Mints with `key` (every attempt of one request sends the same key).
    fn mint(
        &self,
        request: &MintRequest,
        key: &UpstreamKey,
    ) -> impl Future<Output = Result<ChittyId, AuthorityError>> + Send;

    fn mint_batch(
        &self,
        requests: &[MintRequest],
        key: &UpstreamKey,
    ) -> impl Future<Output = Result<Vec<ChittyId>, AuthorityError>> + Send;

    /// Whether the authority is known to honour mint keys: a mint repeated with the same key
    /// is answered with the first one's IDs. Then a mint that timed out may be retried. False
    /// until known.
    fn honours_mint_keys(&self) -> bool;

    /// Whether the authority minted `id`, and what it says of the mint.
    fn verify(
        &self,
        id: &ChittyId,
    ) -> impl Future<Output = Result<MintVerdict, AuthorityError>> + Send;

    fn health(&self) -> impl Future<Output = Result<(), AuthorityError>> + Send;
}

/// What the authority answered about an ID it was asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MintVerdict {
    Minted(MintFacts),
    NotMinted,
}

impl MintVerdict {
    pub fn is_minted(&self) -> bool {
        matches!(self, Self::Minted(_))
    }

    /// What the authority said of the mint, if it minted the ID.
    pub fn facts(&self) -> Option<&MintFacts> {
        match self {
            Self::Minted(facts) => Some(facts),
            Self::NotMinted => None,
        }
    }
}

/// What an authority says of an ID it minted, beside the ID itself: each only when it says it
/// (an authority of another make may answer `valid` alone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MintFacts {
    /// The entity name asked for at the mint (`PEO`, or a caller's own name for it).
    pub entity: Option<String>,
    /// When it was minted, by the authority's clock, as it said it (RFC 3339).
    pub minted_at: Option<String>,
}

impl MintFacts {
    /// The longest entity name or time kept from an authority's answer; a longer one (or a
    /// time with characters no RFC 3339 time has) is dropped, not echoed to callers.
    pub const MAX_FIELD_LEN: usize = 64;

    /// The facts as an authority of any make gave them, each kept only if it is plausible.
    pub fn from_answer(entity: Option<&str>, minted_at: Option<&str>) -> Self {
        let short = |text: &&str| !text.is_empty() && text.len() <= Self::MAX_FIELD_LEN;
        Self {
            entity: entity
                .filter(short)
                .filter(|text| text.chars().all(|c| c.is_ascii_graphic()))
                .map(str::to_owned),
            minted_at: minted_at
                .filter(short)
                .filter(|text| {
                    text.chars()
                        .all(|c| c.is_ascii_digit() || "TZ:.+-tz ".contains(c))
                })
                .map(str::to_owned),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("the cache is unreachable")]
    Unreachable,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// The authority's verdicts, cached. A failing cache degrades to asking the authority. Each
/// adapter keeps time (and expiry) its own way: an in-process cache by this process's clock, a
/// shared one by its server's, so nothing here takes a timestamp.
#[dynosaur::dynosaur(pub DynVerdictCache = dyn(box) VerdictCache)]
#[allow(
    unreachable_pub,
    reason = "re-exported from `gateway`; the lint misreads the trait dynosaur re-emits"
)]
pub trait VerdictCache: Send + Sync {
    fn get(
        &self,
        id: &ChittyId,
    ) -> impl Future<Output = Result<Option<MintVerdict>, CacheError>> + Send;

    fn put(
        &self,
        id: &ChittyId,
        verdict: &MintVerdict,
    ) -> impl Future<Output = Result<(), CacheError>> + Send;

    /// Hits, misses and size of each level.
    fn stats(&self) -> impl Future<Output = Result<CacheReport, CacheError>> + Send;

    /// Drops expired entries kept in this process; how many. A cache that keeps nothing here
    /// has nothing to sweep.
    fn sweep(&self) -> usize {
        0
    }
}

/// A shared cache level (Redis): what it answered, and whether it answers now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SharedCacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Calls that failed or ran out of time (answered from the local level or the authority).
    pub errors: u64,
    pub available: bool,
}

/// The statistics of a verdict cache: its in-process level, and its shared level if it has one.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheReport {
    pub local: CacheStats,
    pub shared: Option<SharedCacheStats>,
}

/// One auditable act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at_unix_ms: i64,
    pub action: &'static str,
    /// SHA-256 of the caller's API key; the key itself is never kept.
    pub caller: CallerHash,
    pub outcome: &'static str,
    pub ids: Vec<String>,
    pub entity: Option<String>,
}

/// One stored audit event, as operators read them back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditEvent {
    pub at_unix_ms: i64,
    pub action: String,
    pub caller_hash: String,
    pub outcome: String,
    pub ids: Vec<String>,
    pub entity: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit log is unavailable")]
    Unavailable,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Where audit events go. `record` returns Ok only once the event is stored as durably as the
/// sink can store it: the gateway answers a request that hands out or confirms an ID only after
/// its event is recorded. `record_detached` queues an event nobody waits for (refusals,
/// validation inputs): a crash may lose the last of them, and `dropped` counts those never
/// stored. `flush` waits for anything the sink still holds (the server calls it on shutdown).
#[dynosaur::dynosaur(pub DynAuditSink = dyn(box) AuditSink)]
#[allow(
    unreachable_pub,
    reason = "re-exported from `gateway`; the lint misreads the trait dynosaur re-emits"
)]
pub trait AuditSink: Send + Sync {
    fn record(&self, event: AuditEvent) -> impl Future<Output = Result<(), AuditError>> + Send;

    /// Queues `event` and returns at once.
    fn record_detached(&self, event: AuditEvent);

    /// Detached events that were never stored (queue full, store down, commit failed).
    fn dropped(&self) -> u64 {
        0
    }

    fn flush(&self) -> impl Future<Output = Result<(), AuditError>> + Send;

    /// Whether an event recorded now would be stored (readiness asks this).
    fn health(&self) -> impl Future<Output = Result<(), AuditError>> + Send;

    /// Deletes up to `limit` of the oldest events recorded before `before_unix_ms`; how many.
    /// Costs what it deletes, not what is kept. A sink that keeps nothing has nothing to expire.
    fn expire(
        &self,
        before_unix_ms: i64,
        limit: u32,
    ) -> impl Future<Output = Result<u64, AuditError>> + Send {
        let _ = (before_unix_ms, limit);
        async { Ok(0) }
    }
}

/// What a rate-limit store decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allowed,
    /// Not enough allowance left; this much later there will be.
    Limited {
        retry_after: std::time::Duration,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("the rate-limit store is unavailable")]
    Unavailable,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Per-caller allowances. The policy (`limit` per `period`) comes with each call, so a store
/// shared by several gateways needs no configuration of its own.
#[dynosaur::dynosaur(pub DynRateLimitStore = dyn(box) RateLimitStore)]
#[allow(
    unreachable_pub,
    reason = "re-exported from `gateway`; the lint misreads the trait dynosaur re-emits"
)]
pub trait RateLimitStore: Send + Sync {
    /// For a store shared by several gateways, whether it answers now (when it does not, each
    /// gateway limits on its own); `None` for a store in this process only.
    fn shared_available(&self) -> Option<bool> {
        None
    }

    /// Takes `cost` from `caller`'s allowance of `limit` per `period`, or says when to retry.
    fn try_acquire(
        &self,
        caller: CallerHash,
        cost: u32,
        limit: u32,
        period: std::time::Duration,
    ) -> impl Future<Output = Result<RateDecision, RateLimitError>> + Send;
}

/// The adapters one gateway runs on, as trait objects: the bin wires the embedded default or
/// the shared stores, tests wire in-memory ones and a manual clock. One value may serve as
/// several ports (a SQL store is the audit sink and the idempotency store).
pub struct GatewayDeps {
    pub authority: Box<DynMintAuthority<'static>>,
    pub cache: Box<DynVerdictCache<'static>>,
    pub audit: Box<DynAuditSink<'static>>,
    pub clock: std::sync::Arc<dyn crate::clock::Clock>,
    pub keys: Box<super::idempotency::DynIdempotencyStore<'static>>,
    pub rate_limits: Box<DynRateLimitStore<'static>>,
}

impl GatewayDeps {
    /// Boxes each adapter as its port.
    pub fn new(
        authority: impl MintAuthority + 'static,
        cache: impl VerdictCache + 'static,
        audit: impl AuditSink + 'static,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
        keys: impl super::idempotency::IdempotencyStore + 'static,
        rate_limits: impl RateLimitStore + 'static,
    ) -> Self {
        Self {
            authority: DynMintAuthority::new_box(authority),
            cache: DynVerdictCache::new_box(cache),
            audit: DynAuditSink::new_box(audit),
            clock,
            keys: super::idempotency::DynIdempotencyStore::new_box(keys),
            rate_limits: DynRateLimitStore::new_box(rate_limits),
        }
    }
}

impl std::fmt::Debug for GatewayDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayDeps").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::MintFacts;

    #[test]
    fn an_authoritys_facts_are_kept_only_when_plausible() {
        let kept = MintFacts::from_answer(Some("PEO"), Some("2026-11-01T00:00:00.000Z"));
        assert_eq!(kept.entity.as_deref(), Some("PEO"));
        assert_eq!(kept.minted_at.as_deref(), Some("2026-11-01T00:00:00.000Z"));
        let long = "P".repeat(MintFacts::MAX_FIELD_LEN + 1);
        for (entity, minted_at) in [
            ("", ""),
            (long.as_str(), "yesterday"),
            ("PEO\nX-Injected: 1", "2026-11-01T00:00:00Z<script>"),
        ] {
            assert_eq!(
                MintFacts::from_answer(Some(entity), Some(minted_at)),
                MintFacts::default(),
                "{entity:?} {minted_at:?}"
            );
        }
    }
}
