//! The gateway's series, read from the service at scrape time: generate outcomes and latency,
//! the verdict cache per level, the connection to the authority, the breaker, rate-limit
//! refusals, audit commits, the shared stores, readiness.

use std::sync::{Arc, Mutex, PoisonError};

use chittyid_app::gateway::{
    HealthSnapshot, LATENCY_BUCKETS, MetricsSnapshot, Readiness, SUSPICIOUS_PATTERNS,
};
use chittyid_domain::resilience::{BreakerState, ConnectionState};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::registry::Unit;

use super::collect::{Result, counter, counters_by, gauge, gauges_by, histogram_seconds};

const CONNECTION_STATES: [ConnectionState; 5] = [
    ConnectionState::Disconnected,
    ConnectionState::Connecting,
    ConnectionState::Connected,
    ConnectionState::Reconnecting,
    ConnectionState::Failed,
];

const BREAKER_STATES: [BreakerState; 5] = [
    BreakerState::Closed,
    BreakerState::HalfOpen,
    BreakerState::Open,
    BreakerState::ForcedOpen,
    BreakerState::Disabled,
];

/// What one scrape shows.
#[derive(Debug, Clone)]
pub struct GatewayState {
    pub health: HealthSnapshot,
    pub readiness: Readiness,
    pub counters: MetricsSnapshot,
    /// Requests admitted under each API key name (never a secret).
    pub key_usage: Vec<chittyid_app::gateway::KeyUsage>,
}

/// Holds the state the scrape handler read last (the service's health is asynchronous; a
/// collector is not), and writes it.
#[derive(Debug, Clone, Default)]
pub struct GatewayCollector {
    state: Arc<Mutex<Option<GatewayState>>>,
}

impl GatewayCollector {
    pub fn update(&self, state: GatewayState) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = Some(state);
    }
}

impl Collector for GatewayCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result {
        let state = self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(state) = state else { return Ok(()) };
        generation(&mut encoder, &state.counters, &state.key_usage)?;
        cache(&mut encoder, &state.health)?;
        connection(&mut encoder, &state.health)?;
        breaker(&mut encoder, &state.health)?;
        audit(&mut encoder, &state.counters)?;
        let audit_up = !state.readiness.problems.contains(&"audit_unavailable");
        gauges_by(
            &mut encoder,
            "chittyid_store_up",
            "1 when the store committed a health probe at this scrape, else 0.",
            "store",
            &[("audit", f64::from(u8::from(audit_up)))],
        )?;
        gauge(
            &mut encoder,
            "chittyid_ready",
            "1 when a generate would work now (what /ready answers 200 for), else 0.",
            None,
            f64::from(u8::from(state.readiness.is_ready())),
        )
    }
}

fn generation(
    encoder: &mut DescriptorEncoder<'_>,
    counters: &MetricsSnapshot,
    key_usage: &[chittyid_app::gateway::KeyUsage],
) -> Result {
    counters_by(
        encoder,
        "chittyid_generation_requests",
        "Generate requests answered, by outcome (success or failure).",
        "outcome",
        &[
            ("success", counters.generation_successes),
            ("failure", counters.generation_failures),
        ],
    )?;
    counter(
        encoder,
        "chittyid_generated_ids",
        "IDs generated.",
        counters.ids_generated,
    )?;
    let latency = &counters.generation_latency;
    histogram_seconds(
        encoder,
        "chittyid_generation_duration",
        "Time to answer a generate request, refused ones included.",
        &LATENCY_BUCKETS,
        &latency.cumulative,
        latency.count,
        latency.sum_seconds,
    )?;
    counter(
        encoder,
        "chittyid_rate_limit_refusals",
        "Generate requests refused by the rate limit.",
        counters.rate_limit_refusals,
    )?;
    counter(
        encoder,
        "chittyid_validation_refusals",
        "Validation requests refused by the API key's validation budget.",
        counters.validation_refusals,
    )?;
    counter(
        encoder,
        "chittyid_validations",
        "IDs validated locally.",
        counters.validations,
    )?;
    let suspicious: Vec<(&str, u64)> = SUSPICIOUS_PATTERNS
        .iter()
        .zip(counters.suspicious)
        .map(|(pattern, count)| (pattern.code(), count))
        .collect();
    let mut family = encoder.encode_descriptor(
        "chittyid_api_key_requests",
        "Requests admitted under each API key, by its name (keys from the environment are named environment) and the scope they used.",
        None,
        prometheus_client::metrics::MetricType::Counter,
    )?;
    for (name, generate, validate) in key_usage {
        for (scope, count) in [("generate", *generate), ("validate", *validate)] {
            prometheus_client::encoding::EncodeMetric::encode(
                &prometheus_client::metrics::counter::ConstCounter::new(count),
                family.encode_family(&[("key", name.as_ref()), ("scope", scope)])?,
            )?;
        }
    }
    counters_by(
        encoder,
        "chittyid_suspicious_inputs",
        "Reserved command or test patterns received where an ID was expected; refused and audited.",
        "pattern",
        &suspicious,
    )
}

fn cache(encoder: &mut DescriptorEncoder<'_>, health: &HealthSnapshot) -> Result {
    let local = health.cache.local;
    let shared = health.cache.shared;
    let mut hits = vec![("local", local.hits)];
    let mut misses = vec![("local", local.misses)];
    if let Some(shared) = shared {
        hits.push(("shared", shared.hits));
        misses.push(("shared", shared.misses));
    }
    counters_by(
        encoder,
        "chittyid_cache_hits",
        "Verdict lookups answered, by cache level.",
        "level",
        &hits,
    )?;
    counters_by(
        encoder,
        "chittyid_cache_misses",
        "Verdict lookups a cache level could not answer.",
        "level",
        &misses,
    )?;
    counters_by(
        encoder,
        "chittyid_cache_evictions",
        "Entries evicted from the in-process level to make room.",
        "level",
        &[("local", local.evictions)],
    )?;
    counters_by(
        encoder,
        "chittyid_cache_expirations",
        "Entries of the in-process level found expired.",
        "level",
        &[("local", local.expirations)],
    )?;
    gauges_by(
        encoder,
        "chittyid_cache_entries",
        "Entries held by the in-process level.",
        "level",
        &[("local", local.size as f64)],
    )?;
    gauges_by(
        encoder,
        "chittyid_cache_capacity_entries",
        "Entries the in-process level holds at most.",
        "level",
        &[("local", local.max_size as f64)],
    )?;
    if let Some(shared) = shared {
        counters_by(
            encoder,
            "chittyid_cache_errors",
            "Shared-level calls that failed or ran out of time (answered without it).",
            "level",
            &[("shared", shared.errors)],
        )?;
    }
    if let Some(witness) = health.log_witness {
        counter(
            encoder,
            "chittyid_authority_log_proofs_verified",
            "Verifications answered from an inclusion proof in the authority's signed mint log.",
            witness.proofs_verified,
        )?;
        counter(
            encoder,
            "chittyid_authority_log_forks",
            "Checkpoints of the authority's mint log refused as inconsistent with an earlier one (an alarm: any is too many).",
            witness.forks,
        )?;
        gauge(
            encoder,
            "chittyid_authority_log_checkpoint_size",
            "Leaves in the last checkpoint of the authority's mint log this gateway accepted.",
            None,
            witness.checkpoint_size as f64,
        )?;
    }
    let mut stores: Vec<(&str, f64)> = Vec::new();
    if let Some(shared) = shared {
        stores.push(("cache", f64::from(u8::from(shared.available))));
    }
    if let Some(available) = health.rate_limit_shared {
        stores.push(("rate_limit", f64::from(u8::from(available))));
    }
    if stores.is_empty() {
        return Ok(());
    }
    gauges_by(
        encoder,
        "chittyid_shared_store_up",
        "1 while a shared (Redis) store answers, 0 while this gateway works without it.",
        "store",
        &stores,
    )
}

fn connection(encoder: &mut DescriptorEncoder<'_>, health: &HealthSnapshot) -> Result {
    let stats = health.connection_stats;
    let states: Vec<(&str, f64)> = CONNECTION_STATES
        .iter()
        .map(|state| {
            (
                state.name(),
                f64::from(u8::from(*state == health.connection)),
            )
        })
        .collect();
    gauges_by(
        encoder,
        "chittyid_connection_state",
        "The connection to the authority: 1 for the state it is in, 0 for the others.",
        "state",
        &states,
    )?;
    gauge(
        encoder,
        "chittyid_connection_uptime",
        "Time connected to the authority since the connection was made; 0 when not connected.",
        Some(&Unit::Seconds),
        stats.uptime.as_secs_f64(),
    )?;
    counter(
        encoder,
        "chittyid_connections",
        "Connections made to the authority.",
        stats.total_connections,
    )?;
    counter(
        encoder,
        "chittyid_reconnections",
        "Connections to the authority made again after it was lost.",
        stats.total_reconnections,
    )?;
    counter(
        encoder,
        "chittyid_connection_failures",
        "Attempts to connect to the authority that failed.",
        stats.total_failures,
    )?;
    gauge(
        encoder,
        "chittyid_reconnect_attempts",
        "Reconnect attempts since the last success.",
        None,
        f64::from(stats.reconnect_attempts),
    )?;
    counters_by(
        encoder,
        "chittyid_health_checks",
        "Health checks of the authority, by outcome.",
        "outcome",
        &[
            ("success", stats.successful_health_checks),
            ("failure", stats.failed_health_checks),
        ],
    )
}

fn breaker(encoder: &mut DescriptorEncoder<'_>, health: &HealthSnapshot) -> Result {
    let states: Vec<(&str, f64)> = BREAKER_STATES
        .iter()
        .map(|state| (state.name(), f64::from(u8::from(*state == health.breaker))))
        .collect();
    gauges_by(
        encoder,
        "chittyid_circuit_breaker_state",
        "The breaker in front of the authority: 1 for the state it is in, 0 for the others.",
        "state",
        &states,
    )?;
    let calls = health.breaker_counters;
    counters_by(
        encoder,
        "chittyid_circuit_breaker_calls",
        "Calls through the breaker by outcome: success, failure, or rejected (refused while open).",
        "outcome",
        &[
            ("success", calls.successes),
            ("failure", calls.failures),
            ("rejected", calls.rejections),
        ],
    )?;
    counter(
        encoder,
        "chittyid_circuit_breaker_state_changes",
        "Times the breaker changed state.",
        calls.state_changes,
    )
}

fn audit(encoder: &mut DescriptorEncoder<'_>, counters: &MetricsSnapshot) -> Result {
    counters_by(
        encoder,
        "chittyid_audit_records",
        "Audit events, by outcome: committed (the answer waited for it), failed (the request failed with it), or detached (queued without holding up a refusal or a validation).",
        "outcome",
        &[
            ("committed", counters.audit_records),
            ("failed", counters.audit_failures),
            ("detached", counters.audit_detached),
        ],
    )?;
    counter(
        encoder,
        "chittyid_audit_events_dropped",
        "Detached audit events never stored: the writer's queue was full, the store was down, or their commit failed.",
        counters.audit_dropped,
    )?;
    let latency = &counters.audit_latency;
    histogram_seconds(
        encoder,
        "chittyid_audit_record_duration",
        "Time from handing an audit event to the store until it is committed (or fails).",
        &LATENCY_BUCKETS,
        &latency.cumulative,
        latency.count,
        latency.sum_seconds,
    )
}
