//! The gateway's use cases: generate and verify through the authority with the resilience
//! policies in front of it, validate locally, report health; its ports are trait objects.

mod api_keys;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod context;
mod generated;
mod idempotency;
mod in_process;
mod metrics;
mod ports;
mod service;
mod witness;

pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use api_keys::{
    ApiKeyAccount, ApiKeyColumns, ApiKeyError, ApiKeyInputError, ApiKeyStore, DynApiKeyStore,
    KeyDirectory, KeyGrant, KeyUsage, KeyUses, MAX_KEY_NAME_LEN, Scope, Scopes, check_key_name,
    parse_rate_per_minute,
};
pub use context::{current_request_id, with_request_id};
pub use idempotency::{
    Claim, ClaimTerms, Decision, DynIdempotencyStore, IdempotencyError, IdempotencyKey,
    IdempotencyKeyError, IdempotencyStore, InMemoryKeys, MAX_IDEMPOTENCY_KEY_BYTES, UpstreamKey,
    answer_from_json, answer_to_json, decide,
};
pub use in_process::{InProcessAuthority, InProcessCache, InProcessRateLimits, LogAudit};
pub use metrics::{
    GatewayMetrics, HistogramSnapshot, LATENCY_BUCKETS, LatencyHistogram, MetricsSnapshot,
    SUSPICIOUS_PATTERNS,
};
pub use ports::{
    AuditError, AuditEvent, AuditSink, AuthorityError, CacheError, CacheReport, DynAuditSink,
    DynMintAuthority, DynRateLimitStore, DynVerdictCache, GatewayDeps, MintAuthority, MintFacts,
    MintVerdict, RateDecision, RateLimitError, RateLimitStore, SharedCacheStats, StoredAuditEvent,
    VerdictCache,
};
pub use service::{
    GatewayConfig, GatewayError, GatewayService, GeneratedId, HealthSnapshot, Readiness,
    SUSPICIOUS_AUDIT_WINDOW_MS, SUSPICIOUS_SAMPLES_PER_EVENT, Verified,
};
pub use witness::{DynLogSource, LogSource, LogWitness, WitnessError, WitnessStats};
