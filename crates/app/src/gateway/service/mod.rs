//! The gateway's use cases: generate through the authority behind the breaker, retry policy
//! and retry budget; validate locally and, when asked, with the authority through the cache;
//! health and statistics; and the background connection monitor.

mod call;
mod generate;
mod monitor;
mod validation;
mod verify;

use std::sync::Mutex;
use std::time::Duration;

use chittyid_domain::resilience::{
    BreakerCounters, BreakerState, CircuitBreaker, ConfigError, ConnectionMonitor, ConnectionState,
    MonitorStats, RateLimiter, Rejected, ResilienceConfig, RetryBudget, RetryPolicy, SplitMix64,
    Timestamp,
};

use super::metrics::GatewayMetrics;
use super::ports::{
    AuditEvent, AuditSink, CacheReport, DynAuditSink, DynMintAuthority, DynRateLimitStore,
    DynVerdictCache, GatewayDeps, MintVerdict,
};
use crate::authority::{CallerHash, MintRequest};
use crate::clock::Clock;
use crate::gateway::idempotency::DynIdempotencyStore;

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
    /// Inputs validated per minute per API key (a batch costs its size, `verify=true` included),
    /// an allowance of its own beside the generate limit; `None` turns the budget off.
    pub validation_limit_per_minute: Option<u32>,
    /// Distinct API keys the rate limiter tracks at most.
    pub rate_limited_keys: usize,
    /// Audit events older than this are deleted by the sweeper; `None` keeps them forever.
    pub audit_retention: Option<Duration>,
    /// Seed of the jitter RNG; fixed in tests, random in production.
    pub seed: u64,
}

impl GatewayConfig {
    pub const DEFAULT_RATE_LIMIT: u32 = 100;
    pub const DEFAULT_VALIDATION_LIMIT: u32 = 60_000;
    pub const DEFAULT_AUDIT_RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

    pub fn new(resilience: ResilienceConfig, seed: u64) -> Self {
        Self {
            resilience,
            rate_limit_per_minute: Some(Self::DEFAULT_RATE_LIMIT),
            idempotency_ttl: Duration::from_secs(24 * 60 * 60),
            idempotency_wait: Duration::from_secs(30),
            idempotency_lease: Duration::from_secs(60),
            validation_limit_per_minute: Some(Self::DEFAULT_VALIDATION_LIMIT),
            rate_limited_keys: 100_000,
            audit_retention: Some(Self::DEFAULT_AUDIT_RETENTION),
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
    #[error("validation budget of {limit} inputs per minute reached for this API key")]
    ValidationRateLimited { retry_after: Duration, limit: u32 },
    #[error(
        "this batch of {size} inputs is larger than the whole validation budget of {limit} inputs per minute for this API key; split it into batches of at most {limit}"
    )]
    ValidationBatchOverLimit { size: usize, limit: u32 },
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
    /// The authority's mint log is not the one this gateway saw grow (see the alarm): no
    /// verification is answered from it.
    #[error("the authority's mint log forked ({0}); this gateway does not verify from it")]
    LogForked(String),
    /// The authority's log answered something that does not verify against its key.
    #[error("{0}")]
    LogUnverified(String),
}

pub use crate::gateway::generated::GeneratedId;
pub use validation::{SUSPICIOUS_AUDIT_WINDOW_MS, SUSPICIOUS_SAMPLES_PER_EVENT};

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub verdict: MintVerdict,
    pub from_cache: bool,
}

impl Verified {
    pub fn minted_by_authority(&self) -> bool {
        self.verdict.is_minted()
    }
}

/// Everything the health document and the metrics show.
#[derive(Debug, Clone, Copy)]
pub struct HealthSnapshot {
    pub connection: ConnectionState,
    pub connection_stats: MonitorStats,
    pub breaker: BreakerState,
    pub breaker_counters: BreakerCounters,
    pub cache: CacheReport,
    /// Whether a shared rate-limit store answers; `None` when limits are kept in process.
    pub rate_limit_shared: Option<bool>,
    /// The mint-log witness's counts; `None` without one.
    pub log_witness: Option<crate::gateway::WitnessStats>,
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

/// The gateway's use cases over its ports. A call through a port costs one boxed future: noise
/// next to the network hop or commit behind it (measured in BENCHMARKS.md).
pub struct GatewayService {
    authority: Box<DynMintAuthority<'static>>,
    cache: Box<DynVerdictCache<'static>>,
    audit: Box<DynAuditSink<'static>>,
    clock: std::sync::Arc<dyn Clock>,
    keys: Box<DynIdempotencyStore<'static>>,
    rate_limits: Box<DynRateLimitStore<'static>>,
    config: GatewayConfig,
    retry: RetryPolicy,
    control: Mutex<Control>,
    monitor: Mutex<(ConnectionMonitor, SplitMix64)>,
    metrics: GatewayMetrics,
    /// The last audit-store probe: when, and whether it could write.
    audit_probe: tokio::sync::Mutex<Option<(Timestamp, bool)>>,
    /// Which suspicious inputs were audited lately, so that repeats are counted, not stored.
    suspicious: validation::SuspiciousWindows,
    /// The accepted keys, for their own rates.
    key_directory: std::sync::Arc<crate::gateway::KeyDirectory>,
    /// Verifies from the authority's mint log when given its key.
    witness: Option<std::sync::Arc<crate::gateway::LogWitness>>,
}

impl std::fmt::Debug for GatewayService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayService").finish_non_exhaustive()
    }
}

impl GatewayService {
    pub fn try_new(deps: GatewayDeps, config: GatewayConfig) -> Result<Self, ConfigError> {
        if let Some(limit) = config.rate_limit_per_minute {
            // The same checks the token bucket makes, at start rather than at the first call.
            RateLimiter::<CallerHash>::try_new(limit, RATE_LIMIT_PERIOD, 1)?;
        }
        if let Some(limit) = config.validation_limit_per_minute {
            RateLimiter::<CallerHash>::try_new(limit, RATE_LIMIT_PERIOD, 1)?;
        }
        let GatewayDeps {
            authority,
            cache,
            audit,
            clock,
            keys,
            rate_limits,
        } = deps;
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
            suspicious: validation::SuspiciousWindows::default(),
            key_directory: std::sync::Arc::default(),
            witness: None,
            authority,
            cache,
            audit,
            clock,
            keys,
            rate_limits,
            config,
        })
    }

    /// Verifies IDs from the authority's mint log through `witness` (its proofs against signed
    /// checkpoints) rather than from the authority's word and the verdict cache.
    #[must_use]
    pub fn with_log_witness(mut self, witness: std::sync::Arc<crate::gateway::LogWitness>) -> Self {
        self.witness = Some(witness);
        self
    }

    /// Rates keys by the accounts in `directory` (a key's own rate, else the configured one).
    #[must_use]
    pub fn with_key_directory(
        mut self,
        directory: std::sync::Arc<crate::gateway::KeyDirectory>,
    ) -> Self {
        self.key_directory = directory;
        self
    }

    pub fn keys(&self) -> &DynIdempotencyStore<'static> {
        &self.keys
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    pub fn metrics(&self) -> &GatewayMetrics {
        &self.metrics
    }

    /// Deletes the audit events older than the retention, a batch of `batch` at a time; how
    /// many. Nothing with no retention set.
    pub async fn expire_audit(&self, batch: u32) -> Result<u64, crate::gateway::AuditError> {
        let Some(retention) = self.config.audit_retention else {
            return Ok(0);
        };
        let retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        let before = self.clock.unix_ms().saturating_sub(retention_ms);
        let mut expired = 0;
        loop {
            let deleted = self.audit.expire(before, batch).await?;
            expired += deleted;
            if deleted < u64::from(batch) {
                return Ok(expired);
            }
        }
    }

    /// The counters, with the audit events the sink dropped.
    pub fn metrics_snapshot(&self) -> crate::gateway::MetricsSnapshot {
        crate::gateway::MetricsSnapshot {
            audit_dropped: self.audit.dropped(),
            ..self.metrics.snapshot()
        }
    }

    pub fn audit(&self) -> &DynAuditSink<'static> {
        &self.audit
    }

    pub fn cache(&self) -> &DynVerdictCache<'static> {
        &self.cache
    }

    pub fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    fn audit_event(
        &self,
        action: &'static str,
        caller: CallerHash,
        outcome: &'static str,
        ids: Vec<String>,
        requests: &[MintRequest],
    ) -> AuditEvent {
        AuditEvent {
            at_unix_ms: self.clock.unix_ms(),
            action,
            caller,
            outcome,
            ids,
            entity: requests.first().map(|r| r.entity.as_str().to_owned()),
        }
    }

    /// Queues `event` for the audit log without waiting: for answers that hand out nothing.
    pub(super) fn record_audit_detached(&self, event: AuditEvent) {
        self.metrics.record_audit_detached();
        self.audit.record_detached(event);
    }

    async fn record_audit(&self, event: AuditEvent) -> Result<(), GatewayError> {
        let started = self.clock.monotonic();
        let stored = tracing::Instrument::instrument(
            self.audit.record(event),
            tracing::debug_span!("audit.record"),
        )
        .await;
        let elapsed = self.clock.monotonic().saturating_since(started);
        self.metrics.record_audit(stored.is_ok(), elapsed);
        stored.map_err(|err| {
            match err {
                // Refused by the store's guard, which logged the failure once.
                crate::gateway::AuditError::Unavailable => {
                    tracing::debug!("the audit store is unavailable; the request fails");
                }
                err => tracing::error!(error = %err, "an audit event could not be stored; the request fails"),
            }
            GatewayError::AuditUnavailable
        })
    }
}

fn error_outcome(err: &GatewayError) -> &'static str {
    match err {
        GatewayError::RateLimited { .. } => "rate_limited",
        GatewayError::BatchOverLimit { .. } => "batch_over_limit",
        GatewayError::ValidationRateLimited { .. } => "validation_rate_limited",
        GatewayError::ValidationBatchOverLimit { .. } => "validation_batch_over_limit",
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
        GatewayError::LogForked(_) => "log_forked",
        GatewayError::LogUnverified(_) => "log_unverified",
    }
}
