//! `GET /api/id/health`: the v2.2.0 service's health document, field for field, so that its
//! dashboards and scripts read the gateway unchanged.

use chittyid_app::gateway::{HealthSnapshot, Readiness};
use chittyid_domain::V2_2_0_ENTITY_NAMES;
use chittyid_domain::resilience::ConnectionState;
use serde::Serialize;
use utoipa::ToSchema;

use super::SharedParts;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthDocument {
    #[schema(value_type = String)]
    pub service: &'static str,
    /// `ok`, or `degraded` whenever a generate would fail.
    #[schema(value_type = String, pattern = "^(ok|degraded)$")]
    pub status: &'static str,
    #[schema(value_type = Vec<String>)]
    pub problems: Vec<&'static str>,
    pub connection: ConnectionDocument,
    pub resilience: ResilienceDocument,
    #[schema(value_type = String)]
    pub format: &'static str,
    #[schema(value_type = Vec<String>)]
    pub entity_types: &'static [&'static str],
    #[schema(value_type = String)]
    pub mode: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionDocument {
    #[schema(value_type = String)]
    pub state: &'static str,
    pub is_healthy: bool,
    /// Seconds connected.
    pub uptime: f64,
    pub reconnect_attempts: u32,
    pub stats: ConnectionStatsDocument,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStatsDocument {
    pub total_connections: u64,
    pub total_reconnections: u64,
    pub total_failures: u64,
    pub total_health_checks: u64,
    pub successful_health_checks: u64,
    pub failed_health_checks: u64,
    /// A percentage with two decimals, as v2.2.0 wrote it (`"99.50%"`).
    pub health_check_success_rate: String,
    pub reconnect_attempts: u32,
    pub uptime: f64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResilienceDocument {
    pub enabled: bool,
    pub circuit_breaker: BreakerDocument,
    pub cache: CacheDocument,
    pub components: SharedParts,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BreakerDocument {
    #[schema(value_type = String)]
    pub state: &'static str,
    pub calls: u64,
    pub successes: u64,
    pub failures: u64,
    pub rejections: u64,
    pub state_changes: u64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheDocument {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub sets: u64,
    pub size: usize,
    pub max_size: usize,
    pub ttl_ms: u64,
    /// A percentage, as v2.2.0 wrote it (`"0%"`, `"75.00%"`).
    pub hit_rate: String,
    /// The shared (Redis) level; null when there is none.
    pub shared: Option<SharedCacheDocument>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SharedCacheDocument {
    pub hits: u64,
    pub misses: u64,
    pub errors: u64,
    pub available: bool,
}

impl HealthDocument {
    pub fn of(health: &HealthSnapshot, readiness: Readiness) -> Self {
        let stats = health.connection_stats;
        let counters = health.breaker_counters;
        let cache = health.cache.local;
        Self {
            service: "chittyid-service",
            status: super::gateway::status_word(&readiness),
            problems: readiness.problems,
            connection: ConnectionDocument {
                state: health.connection.name(),
                is_healthy: health.connection == ConnectionState::Connected,
                uptime: stats.uptime.as_secs_f64(),
                reconnect_attempts: stats.reconnect_attempts,
                stats: ConnectionStatsDocument {
                    total_connections: stats.total_connections,
                    total_reconnections: stats.total_reconnections,
                    total_failures: stats.total_failures,
                    total_health_checks: stats.total_health_checks,
                    successful_health_checks: stats.successful_health_checks,
                    failed_health_checks: stats.failed_health_checks,
                    health_check_success_rate: format!(
                        "{:.2}%",
                        stats.health_check_success_rate * 100.0
                    ),
                    reconnect_attempts: stats.reconnect_attempts,
                    uptime: stats.uptime.as_secs_f64(),
                },
            },
            resilience: ResilienceDocument {
                enabled: true,
                circuit_breaker: BreakerDocument {
                    state: health.breaker.name(),
                    calls: counters.calls,
                    successes: counters.successes,
                    failures: counters.failures,
                    rejections: counters.rejections,
                    state_changes: counters.state_changes,
                },
                cache: CacheDocument {
                    hits: cache.hits,
                    misses: cache.misses,
                    evictions: cache.evictions,
                    sets: cache.sets,
                    size: cache.size,
                    max_size: cache.max_size,
                    ttl_ms: cache.ttl_ms,
                    hit_rate: cache.hit_rate(),
                    shared: health.cache.shared.map(|s| SharedCacheDocument {
                        hits: s.hits,
                        misses: s.misses,
                        errors: s.errors,
                        available: s.available,
                    }),
                },
                components: SharedParts::of(health),
            },
            format: "VV-G-LLL-SSSS-T-YM-C-X",
            entity_types: &V2_2_0_ENTITY_NAMES,
            mode: "pipeline-only",
        }
    }
}
