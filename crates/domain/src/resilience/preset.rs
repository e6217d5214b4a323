//! Ready-made configurations: the v2.2.0 reference defaults (the v2.2.0 resilience layer), with its defects
//! fixed where a fix changes no number, and the configuration this project recommends.

use std::time::Duration;

use super::backoff::{Backoff, Jitter};
use super::breaker::{
    BreakerConfig, ConsecutiveFailures, FailureCount, FailureRate, HalfOpenConfig, OpenDuration,
    SlowCallRate,
};
use super::budget::BudgetConfig;
use super::cache::CachePolicy;
use super::config_error::ConfigError;
use super::monitor::MonitorConfig;
use super::retry::RetryPolicy;
use super::window::WindowKind;

/// Every policy's configuration, as a gateway needs them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResilienceConfig {
    pub retry: RetryPolicy,
    pub breaker: BreakerConfig,
    pub budget: BudgetConfig,
    pub monitor: MonitorConfig,
    pub cache: CachePolicy,
}

const fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

const fn secs(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

impl ResilienceConfig {
    /// The v2.2.0 numbers: 3 attempts, 100 ms doubling to 5 s, no jitter, 10 s per attempt;
    /// open at 5 failures within 10 s, open 60 s, close after 3 half-open successes; LRU of
    /// 10,000 for 5 minutes; health every 30 s (5 s timeout), reconnect 1 s doubling to 60 s
    /// without end. Fixed on the way: at most 3 half-open probes (v2.2.0 had no limit), a
    /// half-open failure reopens, `Retry-After` up to 60 s is honoured. v2.2.0 had no retry
    /// budget; this one allows what its retries could do (two per request).
    pub fn v2_2_0() -> Self {
        Self::try_v2_2_0().expect("the v2.2.0 preset is a valid configuration")
    }

    /// What this project recommends for a gateway in front of one authority: jittered, bounded
    /// retries within a 5 s deadline and a 20 % budget; a breaker that trips on 5 failures in a
    /// row or half the calls failing or being slow, opens for 5 s growing to 60 s, and probes
    /// with 2 calls; negative answers cached for 30 s only.
    pub fn recommended() -> Self {
        Self::try_recommended().expect("the recommended preset is a valid configuration")
    }

    fn try_v2_2_0() -> Result<Self, ConfigError> {
        Ok(Self {
            retry: RetryPolicy::try_new(
                3,
                Backoff::try_new(ms(100), 2.0, Duration::ZERO, secs(5), Jitter::None)?,
                secs(10),
                None,
                secs(60),
            )?,
            breaker: BreakerConfig {
                consecutive_failures: None,
                failure_count: Some(FailureCount {
                    failures: 5,
                    within: secs(10),
                }),
                failure_rate: None,
                slow_call_rate: None,
                window: WindowKind::CountBased { calls: 100 },
                open: OpenDuration {
                    base: secs(60),
                    growth: 1.0,
                    max: secs(60),
                    jitter: 0.0,
                },
                half_open: HalfOpenConfig {
                    max_probes: 3,
                    successes_to_close: 3,
                    max_wait: secs(60),
                },
                max_retry_after: secs(60),
            },
            budget: BudgetConfig {
                window: secs(10),
                percent_can_retry: 2.0,
                min_retries_per_second: 10,
            },
            monitor: MonitorConfig {
                health_interval: secs(30),
                health_timeout: secs(5),
                reconnect: Backoff::try_new(secs(1), 2.0, Duration::ZERO, secs(60), Jitter::None)?,
                max_reconnect_attempts: None,
            },
            cache: CachePolicy::try_new(10_000, secs(300), secs(300))?,
        })
    }

    fn try_recommended() -> Result<Self, ConfigError> {
        Ok(Self {
            retry: RetryPolicy::try_new(
                3,
                Backoff::try_new(ms(50), 2.0, ms(10), secs(2), Jitter::Full)?,
                secs(2),
                Some(secs(5)),
                secs(10),
            )?,
            breaker: BreakerConfig {
                consecutive_failures: Some(ConsecutiveFailures { failures: 5 }),
                failure_count: None,
                failure_rate: Some(FailureRate {
                    threshold: 0.5,
                    minimum_calls: 20,
                }),
                slow_call_rate: Some(SlowCallRate {
                    slower_than: secs(2),
                    threshold: 0.8,
                    minimum_calls: 20,
                }),
                window: WindowKind::CountBased { calls: 50 },
                open: OpenDuration {
                    base: secs(5),
                    growth: 2.0,
                    max: secs(60),
                    jitter: 0.2,
                },
                half_open: HalfOpenConfig {
                    max_probes: 2,
                    successes_to_close: 2,
                    max_wait: secs(10),
                },
                max_retry_after: secs(60),
            },
            budget: BudgetConfig {
                window: secs(10),
                percent_can_retry: 0.2,
                min_retries_per_second: 10,
            },
            monitor: MonitorConfig {
                health_interval: secs(10),
                health_timeout: secs(2),
                reconnect: Backoff::try_new(ms(500), 2.0, ms(100), secs(30), Jitter::Full)?,
                max_reconnect_attempts: None,
            },
            cache: CachePolicy::try_new(10_000, secs(300), secs(30))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::breaker::CircuitBreaker;
    use crate::resilience::budget::RetryBudget;
    use crate::resilience::monitor::ConnectionMonitor;

    #[test]
    fn both_presets_build_every_policy() {
        for preset in [ResilienceConfig::v2_2_0(), ResilienceConfig::recommended()] {
            assert!(CircuitBreaker::try_new(preset.breaker).is_ok());
            assert!(RetryBudget::try_new(preset.budget).is_ok());
            assert!(ConnectionMonitor::try_new(preset.monitor).is_ok());
        }
    }

    #[test]
    fn the_v2_2_0_preset_keeps_the_reference_numbers() {
        let preset = ResilienceConfig::v2_2_0();
        assert_eq!(preset.retry.max_attempts(), 3);
        assert_eq!(preset.retry.backoff().base_delay(1), ms(100));
        assert_eq!(preset.retry.backoff().base_delay(2), ms(200));
        assert_eq!(preset.retry.backoff().max(), secs(5));
        assert_eq!(
            preset.breaker.failure_count,
            Some(FailureCount {
                failures: 5,
                within: secs(10)
            })
        );
        assert_eq!(preset.breaker.open.base, secs(60));
        assert_eq!(preset.breaker.half_open.successes_to_close, 3);
        assert_eq!(preset.cache.capacity(), 10_000);
        assert_eq!(preset.cache.ttl(), secs(300));
        assert_eq!(preset.monitor.health_interval, secs(30));
        assert_eq!(preset.monitor.health_timeout, secs(5));
        assert_eq!(preset.monitor.reconnect.base_delay(1), secs(1));
        assert_eq!(preset.monitor.reconnect.base_delay(10), secs(60));
        assert_eq!(preset.monitor.max_reconnect_attempts, None);
    }
}
