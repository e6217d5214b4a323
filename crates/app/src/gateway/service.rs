//! The gateway's use cases: generate through the authority behind the breaker, retry policy
//! and retry budget; validate locally and, when asked, with the authority through the cache;
//! health and statistics; and the background connection monitor.

use crate::clock::Clock;
use crate::sync::lock;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use chittyid_domain::ChittyId;
use chittyid_domain::resilience::{
    BreakerCounters, BreakerState, CacheStats, CircuitBreaker, ConfigError, ConnectionMonitor,
    ConnectionState, GiveUp, Idempotency, MonitorStats, Outcome, Permit, RateLimiter, Rejected,
    ResilienceConfig, RetryBudget, RetryDecision, RetryPolicy, SplitMix64, Timestamp,
};

use super::idempotency::{Claim, ClaimTerms, IdempotencyKey, IdempotencyStore, UpstreamKey};
use super::metrics::GatewayMetrics;
use super::ports::{
    Adapters, AuditEvent, AuditSink, AuthorityError, GatewayPorts, MintAuthority, RateDecision,
    RateLimitStore, VerdictCache,
};
use crate::authority::{CallerHash, MintRequest};

#[derive(Debug, Clone, Copy)]
pub struct GatewayConfig {
    pub resilience: ResilienceConfig,
    /// IDs per minute per API key; `None` turns the limit off.
    pub rate_limit_per_minute: Option<u32>,
    pub idempotency_ttl: Duration,
    /// How long a repeated request waits for the first one with its key to finish.
    pub idempotency_wait: Duration,
    /// A key held by a request for longer than this belongs to a request that died (a crash
    /// mid-mint): its outcome is unknown. Longer than any request can take.
    pub idempotency_lease: Duration,
    /// Distinct API keys the rate limiter tracks at most.
    pub rate_limited_keys: usize,
    /// Seed of the jitter RNG; fixed in tests, random in production.
    pub seed: u64,
}

impl GatewayConfig {
    pub const DEFAULT_RATE_LIMIT: u32 = 100;

    pub fn new(resilience: ResilienceConfig, seed: u64) -> Self {
        Self {
            resilience,
            rate_limit_per_minute: Some(Self::DEFAULT_RATE_LIMIT),
            idempotency_ttl: Duration::from_secs(24 * 60 * 60),
            idempotency_wait: Duration::from_secs(30),
            idempotency_lease: Duration::from_secs(60),
            rate_limited_keys: 100_000,
            seed,
        }
    }
}

/// Why the gateway did not generate or verify.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("rate limit of {limit} IDs per minute reached for this API key")]
    RateLimited { retry_after: Duration, limit: u32 },
    /// A batch that costs more than the whole per-minute limit could never be served: a 429
    /// would be retried forever.
    #[error(
        "this batch of {size} IDs is larger than the whole rate limit of {limit} IDs per minute for this API key; split it into batches of at most {limit}"
    )]
    BatchOverLimit { size: usize, limit: u32 },
    #[error("this Idempotency-Key was used with a different request body")]
    IdempotencyMismatch,
    #[error("a request with this Idempotency-Key is still being served; retry shortly")]
    IdempotencyInProgress,
    /// The first request with this key ended without knowing whether the authority minted,
    /// and the authority does not honour mint keys: minting again could give a second ID.
    #[error(
        "the first request with this Idempotency-Key ended without knowing whether an ID was minted (the authority did not answer); this gateway will not mint again for it"
    )]
    IdempotencyOutcomeUnknown,
    #[error("idempotency keys cannot be checked now; retry later")]
    IdempotencyUnavailable,
    #[error("{0}")]
    BreakerOpen(Rejected),
    #[error("the ChittyID authority is unavailable: {reason}")]
    Unavailable {
        retry_after: Option<Duration>,
        reason: String,
    },
    #[error("the ChittyID authority did not answer in time")]
    Timeout,
    #[error("the ChittyID authority gave an invalid answer")]
    BadUpstream,
    #[error(
        "the ChittyID authority did not accept this gateway's credentials; check CHITTY_ID_TOKEN"
    )]
    Misconfigured,
    /// The authority refused the request itself; its message is the caller's to read.
    #[error("{message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    /// The request's audit event could not be stored, so the request is not answered. A
    /// generate may have minted: a retry with the same `Idempotency-Key` gets those IDs.
    #[error(
        "the audit log cannot be written, so this request was not completed; retry later (a generate with the same Idempotency-Key returns the IDs it minted)"
    )]
    AuditUnavailable,
}

/// A generated ID and the entity name it was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedId {
    pub id: ChittyId,
    pub entity: String,
}

/// What a verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub minted_by_authority: bool,
    pub from_cache: bool,
}

/// Everything the health document and the metrics show.
#[derive(Debug, Clone, Copy)]
pub struct HealthSnapshot {
    pub connection: ConnectionState,
    pub connection_stats: MonitorStats,
    pub breaker: BreakerState,
    pub breaker_counters: BreakerCounters,
    pub cache: CacheStats,
}

/// Why generate would fail now, as a load balancer needs to know. Empty when ready.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readiness {
    /// `circuit_open`, `authority_unreachable`, `audit_unavailable`.
    pub problems: Vec<&'static str>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The rate limit counts IDs per minute.
const RATE_LIMIT_PERIOD: Duration = Duration::from_secs(60);

/// How long one audit-store probe answers readiness: health checks from many load balancers
/// cost one write a second at most.
const AUDIT_PROBE_REUSE: Duration = Duration::from_secs(1);

struct Control {
    breaker: CircuitBreaker,
    budget: RetryBudget,
    rng: SplitMix64,
}

pub struct GatewayService<P: GatewayPorts> {
    authority: P::Authority,
    cache: P::Cache,
    audit: P::Audit,
    clock: P::Clock,
    keys: P::Keys,
    rate_limits: P::RateLimits,
    config: GatewayConfig,
    retry: RetryPolicy,
    control: Mutex<Control>,
    monitor: Mutex<(ConnectionMonitor, SplitMix64)>,
    metrics: GatewayMetrics,
    /// The last audit-store probe: when, and whether it could write.
    audit_probe: tokio::sync::Mutex<Option<(Timestamp, bool)>>,
}

impl<P: GatewayPorts> std::fmt::Debug for GatewayService<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayService").finish_non_exhaustive()
    }
}

/// Returns the breaker permit whatever happens: with an outcome, or cancelled if the call is
/// dropped half-way.
struct PermitGuard<'a> {
    control: &'a Mutex<Control>,
    permit: Option<Permit>,
}

impl PermitGuard<'_> {
    fn finish(mut self, outcome: Outcome, now: Timestamp) {
        if let Some(permit) = self.permit.take() {
            let mut control = lock(self.control);
            let Control { breaker, rng, .. } = &mut *control;
            breaker.record(permit, outcome, now, rng);
        }
    }
}

impl Drop for PermitGuard<'_> {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            lock(self.control).breaker.cancel(permit);
        }
    }
}

/// A failed call to the authority, and whether it may have minted all the same (an attempt
/// timed out, broke off, or was answered with something unreadable).
struct Failed {
    error: GatewayError,
    maybe_minted: bool,
}

impl From<GatewayError> for Failed {
    fn from(error: GatewayError) -> Self {
        Self {
            error,
            maybe_minted: false,
        }
    }
}

impl<P: GatewayPorts> GatewayService<P> {
    pub fn try_new(adapters: Adapters<P>, config: GatewayConfig) -> Result<Self, ConfigError> {
        if let Some(limit) = config.rate_limit_per_minute {
            // The same checks the token bucket makes, at start rather than at the first call.
            RateLimiter::<CallerHash>::try_new(limit, RATE_LIMIT_PERIOD, 1)?;
        }
        let Adapters {
            authority,
            cache,
            audit,
            clock,
            keys,
            rate_limits,
        } = adapters;
        Ok(Self {
            control: Mutex::new(Control {
                breaker: CircuitBreaker::try_new(config.resilience.breaker)?,
                budget: RetryBudget::try_new(config.resilience.budget)?,
                rng: SplitMix64::new(config.seed),
            }),
            monitor: Mutex::new((
                ConnectionMonitor::try_new(config.resilience.monitor)?,
                SplitMix64::new(config.seed ^ 0x5eed),
            )),
            retry: config.resilience.retry,
            metrics: GatewayMetrics::default(),
            audit_probe: tokio::sync::Mutex::new(None),
            authority,
            cache,
            audit,
            clock,
            keys,
            rate_limits,
            config,
        })
    }

    pub fn keys(&self) -> &P::Keys {
        &self.keys
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    pub fn metrics(&self) -> &GatewayMetrics {
        &self.metrics
    }

    pub fn audit(&self) -> &P::Audit {
        &self.audit
    }

    pub fn cache(&self) -> &P::Cache {
        &self.cache
    }

    pub fn clock(&self) -> &P::Clock {
        &self.clock
    }

    /// Generates one ID per request through the authority. With a key, a repeat of the same
    /// request gets the same IDs. Every call, refused or not, is audited before it is answered.
    pub async fn generate(
        &self,
        requests: Vec<MintRequest>,
        caller: CallerHash,
        key: Option<&IdempotencyKey>,
    ) -> Result<Vec<GeneratedId>, GatewayError> {
        let (result, replayed) = self.generate_unaudited(&requests, caller, key).await;
        let (outcome, shown) = match &result {
            Ok(ids) if replayed => ("replayed", ids.iter().map(|g| g.id.to_string()).collect()),
            Ok(ids) => ("ok", ids.iter().map(|g| g.id.to_string()).collect()),
            Err(err) => (error_outcome(err), Vec::new()),
        };
        self.audit_event("generate", caller, outcome, shown, &requests)
            .await?;
        result
    }

    /// Generate without its audit event; true with a replayed answer.
    async fn generate_unaudited(
        &self,
        requests: &[MintRequest],
        caller: CallerHash,
        key: Option<&IdempotencyKey>,
    ) -> (Result<Vec<GeneratedId>, GatewayError>, bool) {
        let started = self.clock.monotonic();
        if let Some(key) = key {
            match self.claim_key(caller, key, started).await {
                Ok(None) => {}
                Ok(Some(ids)) => return (Ok(ids), true),
                Err(err) => return (Err(err), false),
            }
        }
        let upstream_key = key.map_or_else(UpstreamKey::fresh, |key| {
            UpstreamKey::for_client(caller, key)
        });
        let result = match self.check_rate(caller, requests.len()).await {
            Ok(()) => self.mint_through_policies(requests, &upstream_key).await,
            Err(err) => Err(Failed::from(err)),
        };
        let elapsed = self.clock.monotonic().saturating_since(started);
        self.metrics
            .record_generation(requests.len(), result.is_ok(), elapsed);
        match result {
            Ok(ids) => {
                let ids: Vec<GeneratedId> = ids
                    .into_iter()
                    .zip(requests)
                    .map(|(id, request)| GeneratedId {
                        id,
                        entity: request.entity.as_str().to_owned(),
                    })
                    .collect();
                if let Some(key) = key
                    && let Err(err) = self.keys.complete(caller, key, &ids).await
                {
                    // The key stays in flight, then reads as "outcome unknown": never a second
                    // ID for it, and with an authority that honours keys, the same one again.
                    tracing::error!(error = %err, "an idempotency key could not be completed");
                }
                (Ok(ids), false)
            }
            Err(failed) => {
                if let Some(key) = key {
                    let settled = if failed.maybe_minted {
                        self.keys.mark_unknown(caller, key).await
                    } else {
                        self.keys.release(caller, key).await
                    };
                    if let Err(err) = settled {
                        tracing::error!(error = %err, "an idempotency key could not be settled");
                    }
                }
                (Err(failed.error), false)
            }
        }
    }

    /// Claims `key`: `None` to go ahead, the IDs to replay, or why not. A key held by a request
    /// in flight is waited for, up to `idempotency_wait`.
    async fn claim_key(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        started: Timestamp,
    ) -> Result<Option<Vec<GeneratedId>>, GatewayError> {
        let deadline = started + self.config.idempotency_wait;
        let mut pause = Duration::from_millis(10);
        loop {
            let terms = ClaimTerms {
                now_unix_ms: self.clock.unix_ms(),
                ttl: self.config.idempotency_ttl,
                lease: self.config.idempotency_lease,
                take_over_unknown: self.authority.honours_mint_keys(),
            };
            let claim = self.keys.claim(caller, key, terms).await.map_err(|err| {
                tracing::error!(error = %err, "the idempotency store failed");
                GatewayError::IdempotencyUnavailable
            })?;
            match claim {
                Claim::Proceed => return Ok(None),
                Claim::Replay(ids) => return Ok(Some(ids)),
                Claim::Mismatch => return Err(GatewayError::IdempotencyMismatch),
                Claim::OutcomeUnknown => return Err(GatewayError::IdempotencyOutcomeUnknown),
                Claim::InFlight => {
                    let now = self.clock.monotonic();
                    if now >= deadline {
                        return Err(GatewayError::IdempotencyInProgress);
                    }
                    tokio::time::sleep(pause.min(deadline.saturating_since(now))).await;
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
            }
        }
    }

    /// Asks the authority whether it minted `id`, through the cache. Audited before it is
    /// answered, whether the cache or the authority answered or the call failed.
    pub async fn verify(
        &self,
        id: &ChittyId,
        caller: CallerHash,
    ) -> Result<Verified, GatewayError> {
        let result = self.verify_unaudited(id).await;
        let outcome = match &result {
            Ok(Verified {
                minted_by_authority: true,
                from_cache: false,
            }) => "minted",
            Ok(Verified {
                minted_by_authority: false,
                from_cache: false,
            }) => "not_minted",
            Ok(Verified {
                minted_by_authority: true,
                from_cache: true,
            }) => "minted_cached",
            Ok(Verified {
                minted_by_authority: false,
                from_cache: true,
            }) => "not_minted_cached",
            Err(err) => error_outcome(err),
        };
        let event = AuditEvent {
            at_unix_ms: self.clock.unix_ms(),
            action: "verify",
            caller,
            outcome,
            ids: vec![id.to_string()],
            entity: None,
        };
        self.record_audit(event).await?;
        result
    }

    async fn verify_unaudited(&self, id: &ChittyId) -> Result<Verified, GatewayError> {
        match self.cache.get(id).await {
            Ok(Some(minted)) => {
                return Ok(Verified {
                    minted_by_authority: minted,
                    from_cache: true,
                });
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "verdict cache failed; asking the authority"),
        }
        let minted = self
            .call_authority(Idempotency::Idempotent, || self.authority.verify(id))
            .await
            .map_err(|failed| failed.error)?;
        if let Err(err) = self.cache.put(id, minted).await {
            tracing::warn!(error = %err, "verdict cache failed to store an answer");
        }
        Ok(Verified {
            minted_by_authority: minted,
            from_cache: false,
        })
    }

    /// What would make a generate fail now: an open breaker, an authority the monitor cannot
    /// reach, an audit store that cannot write.
    pub async fn readiness(&self) -> Readiness {
        let health = self.health().await;
        let mut problems = Vec::new();
        if matches!(
            health.breaker,
            BreakerState::Open | BreakerState::ForcedOpen
        ) {
            problems.push("circuit_open");
        }
        if health.connection != ConnectionState::Connected {
            problems.push("authority_unreachable");
        }
        if !self.audit_writable().await {
            problems.push("audit_unavailable");
        }
        Readiness { problems }
    }

    async fn audit_writable(&self) -> bool {
        let mut last = self.audit_probe.lock().await;
        let now = self.clock.monotonic();
        if let Some((at, writable)) = *last
            && now.saturating_since(at) < AUDIT_PROBE_REUSE
        {
            return writable;
        }
        let writable = match self.audit.health().await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(error = %err, "the audit store cannot write");
                false
            }
        };
        *last = Some((now, writable));
        writable
    }

    pub async fn health(&self) -> HealthSnapshot {
        let now = self.clock.monotonic();
        let (connection, connection_stats) = {
            let monitor = lock(&self.monitor);
            (monitor.0.state(), monitor.0.stats(now))
        };
        let (breaker, breaker_counters) = {
            let mut control = lock(&self.control);
            let Control { breaker, rng, .. } = &mut *control;
            (breaker.state(now, rng), breaker.counters())
        };
        HealthSnapshot {
            connection,
            connection_stats,
            breaker,
            breaker_counters,
            cache: self.cache.stats().await.unwrap_or_else(|err| {
                tracing::warn!(error = %err, "verdict cache statistics unavailable");
                CacheStats::default()
            }),
        }
    }

    /// Runs the connection monitor until `stop` resolves: health checks in the background,
    /// never in the way of minting.
    pub async fn drive_monitor(&self, stop: impl Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        let timeout = self.config.resilience.monitor.health_timeout;
        let first = lock(&self.monitor).0.connect(self.clock.monotonic());
        let mut pending = first;
        loop {
            if let Some(check) = pending.take() {
                let result = match tokio::time::timeout(timeout, self.authority.health()).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(err)) => Err(err.to_string()),
                    Err(_) => Err(format!("no answer within {timeout:?}")),
                };
                let mut monitor = lock(&self.monitor);
                let (monitor, rng) = &mut *monitor;
                monitor.on_health_check(check, result, self.clock.monotonic(), rng);
                for event in monitor.drain_events() {
                    tracing::info!(?event, "connection monitor");
                }
            }
            let wait = {
                let mut monitor = lock(&self.monitor);
                let now = self.clock.monotonic();
                pending = monitor.0.poll(now);
                monitor
                    .0
                    .next_check_at()
                    .map_or(Duration::from_secs(1), |due| due.saturating_since(now))
            };
            if pending.is_some() {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut stop => {
                    lock(&self.monitor).0.disconnect(self.clock.monotonic());
                    return;
                }
            }
        }
    }

    async fn check_rate(&self, caller: CallerHash, count: usize) -> Result<(), GatewayError> {
        let Some(limit) = self.config.rate_limit_per_minute else {
            return Ok(());
        };
        let cost = u32::try_from(count).unwrap_or(u32::MAX);
        if cost > limit {
            return Err(GatewayError::BatchOverLimit { size: count, limit });
        }
        match self
            .rate_limits
            .try_acquire(caller, cost, limit, RATE_LIMIT_PERIOD)
            .await
        {
            Ok(RateDecision::Allowed) => Ok(()),
            Ok(RateDecision::Limited { retry_after }) => {
                Err(GatewayError::RateLimited { retry_after, limit })
            }
            // A limit that cannot be checked does not stop minting: the authority's own limits
            // still hold, and the failure is logged.
            Err(err) => {
                tracing::warn!(error = %err, "the rate limit could not be checked; admitting");
                Ok(())
            }
        }
    }

    async fn mint_through_policies(
        &self,
        requests: &[MintRequest],
        key: &UpstreamKey,
    ) -> Result<Vec<ChittyId>, Failed> {
        // Every attempt sends the same key. An authority that honours keys answers a repeat
        // with the first attempt's IDs, so any failure may be retried. One that does not may
        // have minted after a timeout or a broken connection: only failures that prove it did
        // not are retried.
        let idempotency = if self.authority.honours_mint_keys() {
            Idempotency::Idempotent
        } else {
            Idempotency::NotIdempotent
        };
        // Every answer is checked against its request inside the attempt, so that a wrong one
        // counts at the breaker as the upstream fault it is.
        if let [request] = requests {
            self.call_authority(idempotency, || async {
                let id = self.authority.mint(request, key).await?;
                check_answer(requests, vec![id])
            })
            .await
        } else {
            self.call_authority(idempotency, || async {
                let ids = self.authority.mint_batch(requests, key).await?;
                check_answer(requests, ids)
            })
            .await
        }
    }

    /// One call to the authority: one breaker permit for the whole retry sequence, retries as
    /// the policy and the budget allow, each attempt within its timeout.
    async fn call_authority<T, F, Fut>(
        &self,
        idempotency: Idempotency,
        mut attempt: F,
    ) -> Result<T, Failed>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AuthorityError>>,
    {
        let now = self.clock.monotonic();
        let permit = {
            let mut control = lock(&self.control);
            let Control {
                breaker,
                budget,
                rng,
            } = &mut *control;
            budget.deposit(now);
            breaker
                .try_acquire(now, rng)
                .map_err(GatewayError::BreakerOpen)?
        };
        let guard = PermitGuard {
            control: &self.control,
            permit: Some(permit),
        };
        let mut state = self.retry.start(now);
        let mut maybe_minted = false;
        loop {
            let now = self.clock.monotonic();
            let Some(timeout) = self.retry.attempt_timeout(&state, now) else {
                guard.finish(Outcome::Failure { retry_after: None }, now);
                return Err(Failed {
                    error: GatewayError::Timeout,
                    maybe_minted,
                });
            };
            let result = match tokio::time::timeout(timeout, attempt()).await {
                Ok(result) => result,
                Err(_) => Err(AuthorityError::Timeout),
            };
            let err = match result {
                Ok(value) => {
                    guard.finish(Outcome::Success, self.clock.monotonic());
                    return Ok(value);
                }
                Err(err) => err,
            };
            maybe_minted |= err.may_have_succeeded();
            let now = self.clock.monotonic();
            let decision = {
                let mut control = lock(&self.control);
                let Control { budget, rng, .. } = &mut *control;
                match self.retry.after_failure(
                    &mut state,
                    err.failure_kind(),
                    idempotency,
                    now,
                    rng,
                ) {
                    RetryDecision::RetryAfter(delay) if budget.try_withdraw(now) => {
                        RetryDecision::RetryAfter(delay)
                    }
                    RetryDecision::RetryAfter(_) => RetryDecision::GiveUp(GiveUp::BudgetExhausted),
                    give_up => give_up,
                }
            };
            match decision {
                RetryDecision::RetryAfter(delay) => {
                    tracing::debug!(error = %err, ?delay, "retrying the authority");
                    tokio::time::sleep(delay).await;
                }
                RetryDecision::GiveUp(why) => {
                    let outcome = if err.is_upstream_fault() {
                        Outcome::Failure {
                            retry_after: err.failure_kind().retry_after(),
                        }
                    } else {
                        Outcome::Ignored
                    };
                    guard.finish(outcome, now);
                    tracing::warn!(error = %err, reason = %why, "the authority call failed");
                    return Err(Failed {
                        error: gateway_error(err),
                        maybe_minted,
                    });
                }
            }
        }
    }

    async fn audit_event(
        &self,
        action: &'static str,
        caller: CallerHash,
        outcome: &'static str,
        ids: Vec<String>,
        requests: &[MintRequest],
    ) -> Result<(), GatewayError> {
        let entity = requests.first().map(|r| r.entity.as_str().to_owned());
        let event = AuditEvent {
            at_unix_ms: self.clock.unix_ms(),
            action,
            caller,
            outcome,
            ids,
            entity,
        };
        self.record_audit(event).await
    }

    async fn record_audit(&self, event: AuditEvent) -> Result<(), GatewayError> {
        self.audit.record(event).await.map_err(|err| {
            tracing::error!(error = %err, "an audit event could not be stored; the request fails");
            GatewayError::AuditUnavailable
        })
    }
}

/// The authority's IDs, if they answer the requests: one per request, each of the entity type
/// asked for (and the region, jurisdiction and trust level, where the request set them), and
/// no ID twice.
fn check_answer(
    requests: &[MintRequest],
    ids: Vec<ChittyId>,
) -> Result<Vec<ChittyId>, AuthorityError> {
    if ids.len() != requests.len() {
        return Err(AuthorityError::MalformedResponse(format!(
            "{} IDs for {} requests",
            ids.len(),
            requests.len()
        )));
    }
    for (id, request) in ids.iter().zip(requests) {
        let wrong = if id.entity_type() != request.entity.entity_type() {
            Some("entity type")
        } else if request.region.is_some_and(|r| r != id.region()) {
            Some("region")
        } else if request.jurisdiction.is_some_and(|j| j != id.jurisdiction()) {
            Some("jurisdiction")
        } else if request.trust_level.is_some_and(|t| t != id.trust_level()) {
            Some("trust level")
        } else {
            None
        };
        if let Some(part) = wrong {
            return Err(AuthorityError::MalformedResponse(format!(
                "{id} has another {part} than the request for {} asked for",
                request.entity.as_str()
            )));
        }
    }
    let mut seen: Vec<&ChittyId> = ids.iter().collect();
    seen.sort_unstable_by_key(|id| id.as_str());
    if seen.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(AuthorityError::MalformedResponse(
            "the same ID more than once in one answer".to_owned(),
        ));
    }
    Ok(ids)
}

fn gateway_error(err: AuthorityError) -> GatewayError {
    match err {
        AuthorityError::Timeout => GatewayError::Timeout,
        AuthorityError::RateLimited { retry_after }
        | AuthorityError::Unavailable { retry_after } => GatewayError::Unavailable {
            retry_after,
            reason: err.to_string(),
        },
        AuthorityError::ConnectionRefused
        | AuthorityError::Dns
        | AuthorityError::ConnectionReset
        | AuthorityError::Unknown(_) => GatewayError::Unavailable {
            retry_after: None,
            reason: err.to_string(),
        },
        AuthorityError::ServerError { .. } | AuthorityError::MalformedResponse(_) => {
            GatewayError::BadUpstream
        }
        AuthorityError::Unauthorized => GatewayError::Misconfigured,
        AuthorityError::Rejected {
            status,
            code,
            message,
        } => GatewayError::Rejected {
            status,
            code,
            message,
        },
    }
}

fn error_outcome(err: &GatewayError) -> &'static str {
    match err {
        GatewayError::RateLimited { .. } => "rate_limited",
        GatewayError::BatchOverLimit { .. } => "batch_over_limit",
        GatewayError::IdempotencyMismatch
        | GatewayError::IdempotencyInProgress
        | GatewayError::IdempotencyOutcomeUnknown => "idempotency_conflict",
        GatewayError::IdempotencyUnavailable => "idempotency_unavailable",
        GatewayError::BreakerOpen(_) => "breaker_open",
        GatewayError::Unavailable { .. } => "unavailable",
        GatewayError::Timeout => "timeout",
        GatewayError::BadUpstream | GatewayError::Misconfigured => "bad_upstream",
        GatewayError::Rejected { .. } => "rejected",
        GatewayError::AuditUnavailable => "audit_unavailable",
    }
}
