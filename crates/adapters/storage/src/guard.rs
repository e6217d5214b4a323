//! The store guard: the domain's circuit breaker in front of a store.
//!
//! A store that goes away is found out once, not once per request: the first failed write
//! opens the breaker, and from then on every call that needs the store is refused at once
//! (an atomic load) until the writer's probe commits again. The open time starts short and
//! doubles while the store stays away, so a store that comes back is used again within a
//! fraction of a second, and one that stays away is probed a few times a second at most.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chittyid_domain::resilience::{
    BreakerConfig, BreakerState, CircuitBreaker, ConfigError, ConsecutiveFailures, HalfOpenConfig,
    OpenDuration, Outcome, Permit, SplitMix64, Timestamp, WindowKind,
};

/// How long the guard refuses after a failure before the next probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardSettings {
    /// The first open time; it doubles with each failed probe.
    pub open_for: Duration,
    pub max_open_for: Duration,
}

impl Default for GuardSettings {
    fn default() -> Self {
        Self {
            open_for: Duration::from_millis(200),
            max_open_for: Duration::from_secs(2),
        }
    }
}

/// The store is known to be down: refused without trying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the {store} store is unavailable (a write failed); retry in {} ms", retry_after.as_millis())]
pub struct StoreDown {
    pub store: &'static str,
    /// When the next probe is due, at the earliest.
    pub retry_after: Duration,
}

/// A breaker over one store, shared by the writer and every call that reads or writes it.
#[derive(Debug)]
pub struct StoreGuard {
    store: &'static str,
    origin: Instant,
    /// Mirrors the breaker being anything but closed, so the common case takes no lock.
    refusing: AtomicBool,
    breaker: Mutex<(CircuitBreaker, SplitMix64)>,
}

impl StoreGuard {
    /// `store` names the store in errors, logs and metrics ("ledger", "audit").
    pub fn try_new(store: &'static str, settings: GuardSettings) -> Result<Self, ConfigError> {
        let breaker = CircuitBreaker::try_new(BreakerConfig {
            consecutive_failures: Some(ConsecutiveFailures { failures: 1 }),
            failure_count: None,
            failure_rate: None,
            slow_call_rate: None,
            window: WindowKind::CountBased { calls: 1 },
            open: OpenDuration {
                base: settings.open_for,
                growth: 2.0,
                max: settings.max_open_for,
                jitter: 0.0,
            },
            half_open: HalfOpenConfig {
                max_probes: 1,
                successes_to_close: 1,
                max_wait: settings.max_open_for.max(Duration::from_secs(5)),
            },
            max_retry_after: settings.max_open_for,
        })?;
        Ok(Self {
            store,
            origin: Instant::now(),
            refusing: AtomicBool::new(false),
            // No jitter is configured: the generator is never drawn from.
            breaker: Mutex::new((breaker, SplitMix64::new(0x5eed_5707_e000))),
        })
    }

    pub fn store(&self) -> &'static str {
        self.store
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_duration(self.origin.elapsed())
    }

    fn locked<T>(&self, f: impl FnOnce(&mut CircuitBreaker, &mut SplitMix64) -> T) -> T {
        // A panic while holding the lock leaves a breaker that is still consistent.
        let mut guard = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        let (breaker, rng) = &mut *guard;
        let value = f(breaker, rng);
        let closed = matches!(
            breaker.state(self.now(), rng),
            BreakerState::Closed | BreakerState::Disabled
        );
        self.refusing.store(!closed, Ordering::Relaxed);
        value
    }

    /// Ok while the store is taking writes; refused at once while it is known to be down.
    pub fn check(&self) -> Result<(), StoreDown> {
        if !self.refusing.load(Ordering::Relaxed) {
            return Ok(());
        }
        let now = self.now();
        let retry_after = self.locked(|breaker, _| {
            breaker
                .next_transition_at()
                .map(|at| at.saturating_since(now))
                .unwrap_or_default()
        });
        Err(StoreDown {
            store: self.store,
            retry_after: retry_after.max(Duration::from_millis(100)),
        })
    }

    /// Whether calls are let through now.
    pub fn is_up(&self) -> bool {
        !self.refusing.load(Ordering::Relaxed)
    }

    /// The breaker's state (CLOSED, OPEN, HALF_OPEN), for metrics and health.
    pub fn state(&self) -> BreakerState {
        self.locked(|breaker, rng| breaker.state(self.now(), rng))
    }

    /// A call that needed the store succeeded.
    pub fn succeeded(&self) {
        self.report(Outcome::Success);
    }

    /// A call failed because of the store (not because of what it asked): refuse from now on
    /// until a probe succeeds.
    pub fn failed(&self, error: &dyn std::fmt::Display) {
        let was_up = self.is_up();
        self.report(Outcome::Failure { retry_after: None });
        if was_up && !self.is_up() {
            tracing::error!(store = self.store, error = %format_args!("{error:#}"), "the store failed; its calls are refused until a probe succeeds");
        }
    }

    fn report(&self, outcome: Outcome) {
        let now = self.now();
        self.locked(|breaker, rng| {
            // Outcomes while open or probing say nothing new: the probe decides.
            if let Ok(permit) = breaker.try_acquire(now, rng) {
                if permit.is_probe() {
                    breaker.cancel(permit);
                } else {
                    breaker.record(permit, outcome, now, rng);
                }
            }
        });
    }

    /// The writer asks whether to probe now: a permit if the open time is over.
    pub(crate) fn probe_permit(&self) -> Option<Permit> {
        if self.is_up() {
            return None;
        }
        let now = self.now();
        self.locked(|breaker, rng| {
            if breaker.state(now, rng) != BreakerState::HalfOpen {
                return None;
            }
            breaker.try_acquire(now, rng).ok().filter(Permit::is_probe)
        })
    }

    /// The probe's outcome: closes the guard, or opens it for longer.
    pub(crate) fn probed(&self, permit: Permit, ok: bool) {
        let now = self.now();
        self.locked(|breaker, rng| {
            let outcome = if ok {
                Outcome::Success
            } else {
                Outcome::Failure { retry_after: None }
            };
            breaker.record(permit, outcome, now, rng);
        });
        if ok && self.is_up() {
            tracing::info!(store = self.store, "the store takes writes again");
        }
    }

    /// How long until a probe may be due (zero if it is due now; `None` while up).
    pub(crate) fn until_probe(&self) -> Option<Duration> {
        if self.is_up() {
            return None;
        }
        let now = self.now();
        Some(self.locked(|breaker, _| {
            breaker
                .next_transition_at()
                .map(|at| at.saturating_since(now))
                .unwrap_or_default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> StoreGuard {
        StoreGuard::try_new(
            "test",
            GuardSettings {
                open_for: Duration::from_millis(20),
                max_open_for: Duration::from_millis(80),
            },
        )
        .expect("valid settings")
    }

    #[test]
    fn one_failure_refuses_until_a_probe_succeeds() {
        let guard = guard();
        assert!(guard.check().is_ok());
        guard.failed(&"disk full");
        let down = guard.check().expect_err("refused once failed");
        assert_eq!(down.store, "test");
        assert_eq!(
            down.retry_after,
            Duration::from_millis(100),
            "never less than 100 ms, though the probe is due in 20"
        );
        // Successes of other calls while open do not close it: only the probe does.
        guard.succeeded();
        assert!(guard.check().is_err());
        assert!(
            guard.probe_permit().is_none(),
            "no probe before the open time"
        );
        std::thread::sleep(Duration::from_millis(30));
        let permit = guard
            .probe_permit()
            .expect("a probe once the open time is over");
        assert!(guard.check().is_err(), "refused while the probe runs");
        guard.probed(permit, true);
        assert!(guard.check().is_ok());
        assert_eq!(guard.state(), BreakerState::Closed);
    }

    #[test]
    fn a_failed_probe_opens_for_longer() {
        let guard = guard();
        guard.failed(&"gone");
        std::thread::sleep(Duration::from_millis(30));
        let permit = guard.probe_permit().expect("due");
        guard.probed(permit, false);
        assert!(guard.check().is_err());
        let wait = guard.until_probe().expect("down");
        assert!(wait > Duration::from_millis(20), "doubled: {wait:?}");
    }

    #[test]
    fn a_failure_while_up_is_one_log_line_and_one_transition() {
        let guard = guard();
        guard.failed(&"first");
        guard.failed(&"second");
        assert_eq!(guard.state(), BreakerState::Open);
    }
}
