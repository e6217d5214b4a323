//! In-process adapters for the embedded default: the authority called directly (no HTTP), the
//! verdict cache in memory, and an audit sink that writes to the log.

use crate::error_code::ErrorCode;
use crate::sync::lock;
use std::sync::{Arc, Mutex};

use chittyid_domain::ChittyId;
use chittyid_domain::resilience::{CacheLookup, CachePolicy, ValidationCache};

use super::idempotency::UpstreamKey;
use super::ports::{
    AuditError, AuditEvent, AuditSink, AuthorityError, CacheError, CacheReport, MintAuthority,
    MintFacts, MintVerdict, RateDecision, RateLimitError, RateLimitStore, VerdictCache,
};
use crate::authority::{AuthorityService, CallerHash, MintError, MintRequest, Verdict};
use crate::clock::{Clock, SystemClock};

/// The authority's service, called directly. Mints are recorded under this gateway's own
/// caller hash.
pub struct InProcessAuthority {
    service: Arc<AuthorityService>,
    caller: CallerHash,
}

impl InProcessAuthority {
    pub fn new(service: Arc<AuthorityService>, caller: CallerHash) -> Self {
        Self { service, caller }
    }
}

impl std::fmt::Debug for InProcessAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcessAuthority")
    }
}

fn authority_error(err: MintError) -> AuthorityError {
    match err {
        MintError::SpaceExhausted(err) => AuthorityError::Rejected {
            status: 409,
            code: ErrorCode::SequenceSpaceExhausted.as_str().to_owned(),
            message: err.to_string(),
        },
        MintError::ClockOutOfRange => AuthorityError::ServerError { status: 500 },
        MintError::KeyReused => AuthorityError::Rejected {
            status: 409,
            code: ErrorCode::IdempotencyKeyReused.as_str().to_owned(),
            message: err.to_string(),
        },
        MintError::Store(err) | MintError::Ledger(err) => {
            tracing::error!(error = %format_args!("{err:#}"), "the embedded authority's store failed");
            AuthorityError::Unavailable { retry_after: None }
        }
        // The store's guard logged the failure once; each refusal is not news.
        MintError::Unavailable { retry_after } => AuthorityError::Unavailable {
            retry_after: Some(retry_after),
        },
    }
}

impl MintAuthority for InProcessAuthority {
    async fn mint(
        &self,
        request: &MintRequest,
        key: &UpstreamKey,
    ) -> Result<ChittyId, AuthorityError> {
        self.service
            .mint(request.clone(), self.caller, Some(key.as_str()))
            .await
            .map(|minted| minted.id)
            .map_err(authority_error)
    }

    async fn mint_batch(
        &self,
        requests: &[MintRequest],
        key: &UpstreamKey,
    ) -> Result<Vec<ChittyId>, AuthorityError> {
        self.service
            .mint_batch(requests.to_vec(), self.caller, Some(key.as_str()))
            .await
            .map(|minted| minted.into_iter().map(|m| m.id).collect())
            .map_err(authority_error)
    }

    /// The authority's service keeps keys in its ledger.
    fn honours_mint_keys(&self) -> bool {
        true
    }

    async fn verify(&self, id: &ChittyId) -> Result<MintVerdict, AuthorityError> {
        match self
            .service
            .validate(id.as_str())
            .await
            .map_err(authority_error)?
        {
            Verdict::Minted(record) => Ok(MintVerdict::Minted(MintFacts {
                entity: Some(record.entity_name),
                minted_at: Some(crate::rfc3339::rfc3339_millis(record.minted_at_unix_ms)),
            })),
            Verdict::NotMintedHere(_) | Verdict::Malformed(_) => Ok(MintVerdict::NotMinted),
        }
    }

    async fn health(&self) -> Result<(), AuthorityError> {
        self.service.health().await.map_err(authority_error)
    }
}

/// The verdict cache in this process: the domain's LRU under a lock, timed by `C`.
#[derive(Debug)]
pub struct InProcessCache<C = SystemClock> {
    cache: Mutex<ValidationCache<ChittyId, MintVerdict>>,
    clock: C,
}

impl InProcessCache {
    pub fn new(policy: CachePolicy) -> Self {
        Self::with_clock(policy, SystemClock::default())
    }
}

impl<C: Clock> InProcessCache<C> {
    pub fn with_clock(policy: CachePolicy, clock: C) -> Self {
        Self {
            cache: Mutex::new(ValidationCache::new(policy)),
            clock,
        }
    }

    /// Drops expired entries (run every few minutes).
    pub fn sweep(&self) -> usize {
        lock(&self.cache).sweep(self.clock.monotonic())
    }
}

impl<C: Clock> VerdictCache for InProcessCache<C> {
    fn sweep(&self) -> usize {
        InProcessCache::sweep(self)
    }

    async fn get(&self, id: &ChittyId) -> Result<Option<MintVerdict>, CacheError> {
        Ok(match lock(&self.cache).get(id, self.clock.monotonic()) {
            CacheLookup::Hit(verdict) => Some(verdict),
            CacheLookup::Miss => None,
        })
    }

    async fn put(&self, id: &ChittyId, verdict: &MintVerdict) -> Result<(), CacheError> {
        let minted = verdict.is_minted();
        lock(&self.cache).insert(*id, verdict.clone(), minted, self.clock.monotonic());
        Ok(())
    }

    async fn stats(&self) -> Result<CacheReport, CacheError> {
        Ok(CacheReport {
            local: lock(&self.cache).stats(),
            shared: None,
        })
    }
}

/// Audit events as structured log lines (target `chittyid::audit`), with the caller's key
/// hash, never the key.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogAudit;

impl AuditSink for LogAudit {
    async fn record(&self, event: AuditEvent) -> Result<(), AuditError> {
        self.record_detached(event);
        Ok(())
    }

    /// A log line is written before this returns, so nothing is ever held back.
    fn record_detached(&self, event: AuditEvent) {
        tracing::info!(
            target: "chittyid::audit",
            at_unix_ms = event.at_unix_ms,
            action = event.action,
            caller = %event.caller.to_hex(),
            outcome = event.outcome,
            ids = ?event.ids,
            entity = ?event.entity,
        );
    }

    async fn flush(&self) -> Result<(), AuditError> {
        Ok(())
    }

    async fn health(&self) -> Result<(), AuditError> {
        Ok(())
    }
}

/// Rate limits in this process: a token bucket per caller (the domain's `RateLimiter`), at most
/// `max_callers` tracked at once. Each gateway process enforces the limit on its own.
#[derive(Debug)]
pub struct InProcessRateLimits<C = SystemClock> {
    /// One limiter per policy (limit and period): the generate limit and the validation
    /// budget are separate allowances, and neither may reset the other.
    limiters: Mutex<Vec<chittyid_domain::resilience::RateLimiter<CallerHash>>>,
    max_callers: usize,
    clock: C,
}

impl InProcessRateLimits {
    pub fn new(max_callers: usize) -> Self {
        Self::with_clock(max_callers, SystemClock::default())
    }
}

impl<C: Clock> InProcessRateLimits<C> {
    pub fn with_clock(max_callers: usize, clock: C) -> Self {
        Self {
            limiters: Mutex::new(Vec::new()),
            max_callers,
            clock,
        }
    }
}

impl<C: Clock> RateLimitStore for InProcessRateLimits<C> {
    async fn try_acquire(
        &self,
        caller: CallerHash,
        cost: u32,
        limit: u32,
        period: std::time::Duration,
    ) -> Result<RateDecision, RateLimitError> {
        let mut limiters = lock(&self.limiters);
        // A process has a policy or two, each the same on every call: a limiter is built on a
        // policy's first call and kept.
        let index = match limiters
            .iter()
            .position(|l| l.limit() == limit && l.period() == period)
        {
            Some(index) => index,
            None => {
                let limiter = chittyid_domain::resilience::RateLimiter::try_new(
                    limit,
                    period,
                    self.max_callers,
                )
                .map_err(|err| RateLimitError::Unknown(anyhow::anyhow!("{err}")))?;
                limiters.push(limiter);
                limiters.len() - 1
            }
        };
        let limiter = &mut limiters[index];
        Ok(
            match limiter.try_acquire(&caller, cost, self.clock.monotonic()) {
                Ok(()) => RateDecision::Allowed,
                Err(retry_after) => RateDecision::Limited { retry_after },
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn two_policies_keep_their_own_allowances() {
        let limits = InProcessRateLimits::new(16);
        let caller = CallerHash::of_token("k");
        let period = Duration::from_secs(60);
        for _ in 0..2 {
            assert_eq!(
                limits
                    .try_acquire(caller, 1, 2, period)
                    .await
                    .expect("checked"),
                RateDecision::Allowed
            );
            // Another policy in between must not reset the first.
            let scoped = caller.scoped("validate");
            assert_eq!(
                limits
                    .try_acquire(scoped, 1, 1_000, period)
                    .await
                    .expect("checked"),
                RateDecision::Allowed
            );
        }
        assert!(matches!(
            limits
                .try_acquire(caller, 1, 2, period)
                .await
                .expect("checked"),
            RateDecision::Limited { .. }
        ));
    }
}
