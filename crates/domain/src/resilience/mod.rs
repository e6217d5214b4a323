//! Resilience policies as pure, deterministic state machines ("sans-IO"): every method takes
//! `now` as an argument, randomness comes from an injected [`RandomSource`], and nothing sleeps,
//! spawns or reads a clock. Adapters and the app drive them; tests and simulations drive them
//! with a fake clock and a seeded RNG and get the same answer every time.

mod backoff;
mod breaker;
mod budget;
mod cache;
mod config_error;
mod gcra;
mod listeners;
mod monitor;
mod preset;
mod rate_limit;
mod retry;
mod rng;
mod time;
mod window;

pub use backoff::{Backoff, Jitter};
pub use breaker::{
    BreakerConfig, BreakerCounters, BreakerState, CircuitBreaker, ConsecutiveFailures,
    FailureCount, FailureRate, HalfOpenConfig, OpenDuration, Outcome, Permit, Rejected,
    SlowCallRate, StateChange,
};
pub use budget::{BudgetConfig, RetryBudget};
pub use cache::{CacheLookup, CachePolicy, CacheStats, ValidationCache};
pub use config_error::ConfigError;
pub use gcra::{Gcra, GcraDecision};
pub use listeners::{ListenerFailure, ListenerId, Listeners};
pub use monitor::{
    ConnectionMonitor, ConnectionState, HealthCheck, MonitorConfig, MonitorEvent, MonitorStats,
};
pub use preset::ResilienceConfig;
pub use rate_limit::RateLimiter;
pub use retry::{FailureKind, GiveUp, Idempotency, RetryDecision, RetryPolicy, RetryState};
pub use rng::{RandomSource, SplitMix64};
pub use time::Timestamp;
pub use window::WindowKind;
