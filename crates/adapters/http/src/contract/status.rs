//! `GET /api/id/status`: what the status page (`GET /`) draws, from the gateway's own counters.
//! Totals since the start; the page keeps the last minutes itself and computes rates from the
//! differences.

use chittyid_app::gateway::{HealthSnapshot, LATENCY_BUCKETS, MetricsSnapshot, Readiness};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusAnswer {
    #[schema(value_type = String)]
    pub service: &'static str,
    #[schema(value_type = String)]
    pub version: &'static str,
    /// `ok`, or `degraded` whenever a generate would fail.
    #[schema(value_type = String, pattern = "^(ok|degraded)$")]
    pub status: &'static str,
    #[schema(value_type = Vec<String>)]
    pub problems: Vec<&'static str>,
    #[schema(value_type = String)]
    pub connection: &'static str,
    #[schema(value_type = String)]
    pub circuit_breaker: &'static str,
    /// Seconds since this gateway started.
    pub uptime_seconds: f64,
    /// When this answer was made, Unix milliseconds.
    pub at: i64,
    pub generation: GenerationTotals,
    pub cache: CacheTotals,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenerationTotals {
    pub successes: u64,
    pub failures: u64,
    /// Generates answered within each bound (seconds), cumulative.
    pub latency_buckets: Vec<LatencyBucket>,
    /// All generates timed, including those over the last bound.
    pub latency_count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LatencyBucket {
    pub le: f64,
    pub count: u64,
}

/// The in-process level's lookups.
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheTotals {
    pub hits: u64,
    pub misses: u64,
}

impl StatusAnswer {
    pub fn of(
        health: &HealthSnapshot,
        readiness: Readiness,
        counters: &MetricsSnapshot,
        uptime_seconds: f64,
        at: i64,
    ) -> Self {
        let latency = &counters.generation_latency;
        Self {
            service: "chittyid-gateway",
            version: env!("CARGO_PKG_VERSION"),
            status: super::gateway::status_word(&readiness),
            problems: readiness.problems,
            connection: health.connection.name(),
            circuit_breaker: health.breaker.name(),
            uptime_seconds,
            at,
            generation: GenerationTotals {
                successes: counters.generation_successes,
                failures: counters.generation_failures,
                latency_buckets: LATENCY_BUCKETS
                    .iter()
                    .zip(latency.cumulative)
                    .map(|(le, count)| LatencyBucket { le: *le, count })
                    .collect(),
                latency_count: latency.count,
            },
            cache: CacheTotals {
                hits: health.cache.local.hits,
                misses: health.cache.local.misses,
            },
        }
    }
}
