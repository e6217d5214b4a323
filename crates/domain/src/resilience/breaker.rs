//! The circuit breaker: stops calling an upstream that is failing, probes it carefully, and
//! resumes when it answers again. Fixes the v2.2.0 defects: half-open admits at most K probes,
//! a half-open failure reopens, and successes clear the record of failures.

use std::fmt;
use std::time::Duration;

use super::config_error::{self, ConfigError};
use super::rng::RandomSource;
use super::time::Timestamp;
use super::window::{SlidingWindow, WindowKind};

/// Trips after this many failures in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsecutiveFailures {
    pub failures: u32,
}

/// Trips after this many failures within `within`, whatever the successes (the v2.2.0 rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    pub failures: u32,
    pub within: Duration,
}

/// Trips when failures reach `threshold` (0-1) of the calls in the window, once the window
/// holds `minimum_calls`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailureRate {
    pub threshold: f64,
    pub minimum_calls: u32,
}

/// Trips when calls slower than `slower_than` reach `threshold` (0-1) of the calls in the
/// window, once the window holds `minimum_calls`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlowCallRate {
    pub slower_than: Duration,
    pub threshold: f64,
    pub minimum_calls: u32,
}

/// How long the breaker stays open: `base * growth^(reopenings)`, capped at `max`, then
/// shortened by a random part of up to `jitter` (0-1) of itself so that replicas that opened
/// together do not probe together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenDuration {
    pub base: Duration,
    pub growth: f64,
    pub max: Duration,
    pub jitter: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HalfOpenConfig {
    /// Probes admitted at once (K).
    pub max_probes: u32,
    /// Successful probes that close the breaker.
    pub successes_to_close: u32,
    /// A probe in flight that reports nothing for this long (since it was admitted, or since
    /// the last probe outcome) is given up on: its slot is released so that a hung call cannot
    /// hold the breaker half-open and refusing. Giving up is not a failure of the upstream:
    /// the breaker stays half-open, however long it waits for its next call.
    pub max_wait: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    pub consecutive_failures: Option<ConsecutiveFailures>,
    pub failure_count: Option<FailureCount>,
    pub failure_rate: Option<FailureRate>,
    pub slow_call_rate: Option<SlowCallRate>,
    /// The window the two rates are computed over.
    pub window: WindowKind,
    pub open: OpenDuration,
    pub half_open: HalfOpenConfig,
    /// The longest an upstream's `Retry-After` may keep the breaker open.
    pub max_retry_after: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
    /// Set by an operator: every call is refused.
    ForcedOpen,
    /// Set by an operator: every call is admitted and nothing trips.
    Disabled,
}

impl BreakerState {
    /// The name dashboards and the health document use.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Closed => "CLOSED",
            Self::Open => "OPEN",
            Self::HalfOpen => "HALF_OPEN",
            Self::ForcedOpen => "FORCED_OPEN",
            Self::Disabled => "DISABLED",
        }
    }

    /// The value of the `chittyid_circuit_breaker_state` gauge.
    pub const fn gauge(self) -> u8 {
        match self {
            Self::Closed | Self::Disabled => 0,
            Self::HalfOpen => 1,
            Self::Open | Self::ForcedOpen => 2,
        }
    }
}

impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A state change, for listeners and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateChange {
    pub from: BreakerState,
    pub to: BreakerState,
    pub at: Timestamp,
}

/// How an admitted call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// `retry_after` is the upstream's own estimate of when to come back, if it gave one.
    Failure {
        retry_after: Option<Duration>,
    },
    /// Neither success nor failure: a cancelled call, or an error that says nothing about the
    /// upstream's health (a request the caller got wrong).
    Ignored,
}

/// Admission to make one call. Must be given back through [`CircuitBreaker::record`] or
/// [`CircuitBreaker::cancel`]; the app wraps it in a guard that does so on drop.
#[must_use = "a permit must be returned with record() or cancel(), or a half-open probe slot leaks"]
#[derive(Debug, PartialEq, Eq)]
pub struct Permit {
    epoch: u64,
    /// The probe round it was admitted in; a round ends when its hung probes are given up on.
    round: u64,
    probe: bool,
    admitted_at: Timestamp,
}

impl Permit {
    pub fn is_probe(&self) -> bool {
        self.probe
    }
}

/// A refused call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct Rejected {
    pub state: BreakerState,
    /// When a call may next be admitted, if the breaker knows.
    pub retry_in: Option<Duration>,
}

impl fmt::Display for Rejected {
    /// The v2.2.0 message, so that clients matching on it keep working.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "circuit breaker is {} - service unavailable.",
            self.state
        )?;
        if let Some(retry_in) = self.retry_in {
            let seconds = retry_in.as_secs() + u64::from(retry_in.subsec_nanos() > 0);
            write!(f, " Will retry in {seconds}s")?;
        }
        Ok(())
    }
}

/// What the breaker has seen since it was built (or counters were reset).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BreakerCounters {
    pub calls: u64,
    pub successes: u64,
    pub failures: u64,
    pub slow_calls: u64,
    pub ignored: u64,
    pub cancelled: u64,
    /// Half-open probes given up on after `max_wait` with no outcome.
    pub abandoned_probes: u64,
    pub rejections: u64,
    pub state_changes: u64,
}

/// The breaker. Not thread-safe by itself: the app keeps it behind a lock, which the
/// allocation-free, O(1) methods hold only briefly.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    state: BreakerState,
    /// Changes on every transition; outcomes of permits from another epoch move nothing.
    epoch: u64,
    /// Changes when hung probes are given up on; their late release frees no slot.
    probe_round: u64,
    open_until: Timestamp,
    /// When the oldest probe of the current round was admitted, or a probe last reported.
    half_open_progress_at: Timestamp,
    probes_in_flight: u32,
    half_open_successes: u32,
    consecutive_failures: u32,
    reopenings: u32,
    window: SlidingWindow,
    failure_count_window: Option<SlidingWindow>,
    counters: BreakerCounters,
    events: Vec<StateChange>,
}

/// Buckets of the window behind [`FailureCount`].
const FAILURE_COUNT_BUCKETS: u32 = 10;

impl CircuitBreaker {
    pub fn try_new(config: BreakerConfig) -> Result<Self, ConfigError> {
        validate(&config)?;
        let failure_count_window = config.failure_count.map(|trip| {
            SlidingWindow::new(WindowKind::TimeBased {
                buckets: FAILURE_COUNT_BUCKETS,
                bucket_width: trip.within / FAILURE_COUNT_BUCKETS,
            })
        });
        Ok(Self {
            window: SlidingWindow::new(config.window),
            failure_count_window,
            config,
            state: BreakerState::Closed,
            epoch: 0,
            probe_round: 0,
            open_until: Timestamp::ZERO,
            half_open_progress_at: Timestamp::ZERO,
            probes_in_flight: 0,
            half_open_successes: 0,
            consecutive_failures: 0,
            reopenings: 0,
            counters: BreakerCounters::default(),
            events: Vec::with_capacity(4),
        })
    }

    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// The state as of `now` (an open breaker whose time is up reads as half-open). `_rng` is
    /// kept in the signature, as in `try_acquire`, so that a time-driven transition may draw
    /// jitter without changing every caller.
    pub fn state(&mut self, now: Timestamp, _rng: &mut impl RandomSource) -> BreakerState {
        self.advance(now);
        self.state
    }

    pub fn counters(&self) -> BreakerCounters {
        self.counters
    }

    pub fn reset_counters(&mut self) {
        self.counters = BreakerCounters::default();
    }

    /// Probe permits of the current half-open episode not yet returned.
    pub fn probes_in_flight(&self) -> u32 {
        self.probes_in_flight
    }

    /// Failures in a row, in the closed state.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// When time alone will next change what the breaker admits, if it will: the end of the
    /// open period, or the moment hung half-open probes are given up on.
    pub fn next_transition_at(&self) -> Option<Timestamp> {
        match self.state {
            BreakerState::Open => Some(self.open_until),
            BreakerState::HalfOpen if self.probes_in_flight > 0 => Some(self.probe_deadline()),
            _ => None,
        }
    }

    fn probe_deadline(&self) -> Timestamp {
        self.half_open_progress_at + self.config.half_open.max_wait
    }

    /// State changes since the last call, oldest first.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, StateChange> {
        self.events.drain(..)
    }

    /// Asks to make a call.
    pub fn try_acquire(
        &mut self,
        now: Timestamp,
        _rng: &mut impl RandomSource,
    ) -> Result<Permit, Rejected> {
        self.advance(now);
        let admitted = |probe| Permit {
            epoch: self.epoch,
            round: self.probe_round,
            probe,
            admitted_at: now,
        };
        match self.state {
            BreakerState::Closed | BreakerState::Disabled => {
                self.counters.calls += 1;
                Ok(admitted(false))
            }
            BreakerState::HalfOpen if self.probes_in_flight < self.config.half_open.max_probes => {
                let permit = admitted(true);
                if self.probes_in_flight == 0 {
                    self.half_open_progress_at = now;
                }
                self.probes_in_flight += 1;
                self.counters.calls += 1;
                Ok(permit)
            }
            state => {
                self.counters.rejections += 1;
                let retry_in = match state {
                    BreakerState::Open => Some(self.open_until.saturating_since(now)),
                    BreakerState::HalfOpen => Some(self.probe_deadline().saturating_since(now)),
                    _ => None,
                };
                Err(Rejected { state, retry_in })
            }
        }
    }

    /// Records how an admitted call ended.
    pub fn record(
        &mut self,
        permit: Permit,
        outcome: Outcome,
        now: Timestamp,
        rng: &mut impl RandomSource,
    ) {
        let slow = self
            .config
            .slow_call_rate
            .is_some_and(|trip| now.saturating_since(permit.admitted_at) > trip.slower_than);
        match outcome {
            Outcome::Success => self.counters.successes += 1,
            Outcome::Failure { .. } => self.counters.failures += 1,
            Outcome::Ignored => self.counters.ignored += 1,
        }
        if slow && outcome != Outcome::Ignored {
            self.counters.slow_calls += 1;
        }
        if !self.release(&permit) {
            // From an earlier episode: what it says about the upstream is out of date.
            return;
        }
        match (self.state, outcome) {
            (_, Outcome::Ignored)
            | (BreakerState::Disabled | BreakerState::ForcedOpen | BreakerState::Open, _) => {}
            (BreakerState::Closed, Outcome::Success) => {
                self.consecutive_failures = 0;
                self.window.record(now, false, slow);
                self.trip_if_due(now, None, rng);
            }
            (BreakerState::Closed, Outcome::Failure { retry_after }) => {
                self.consecutive_failures += 1;
                self.window.record(now, true, slow);
                if let Some(window) = &mut self.failure_count_window {
                    window.record(now, true, false);
                }
                self.trip_if_due(now, retry_after, rng);
            }
            (BreakerState::HalfOpen, Outcome::Success) => {
                self.half_open_progress_at = now;
                self.half_open_successes += 1;
                if self.half_open_successes >= self.config.half_open.successes_to_close {
                    self.close(now);
                }
            }
            (BreakerState::HalfOpen, Outcome::Failure { retry_after }) => {
                self.open(now, retry_after, rng);
            }
        }
    }

    /// Gives back a permit whose call ended with no outcome (dropped, cancelled).
    pub fn cancel(&mut self, permit: Permit) {
        self.counters.cancelled += 1;
        self.release(&permit);
    }

    /// Operator override: refuse every call until [`CircuitBreaker::reset`].
    pub fn force_open(&mut self, now: Timestamp) {
        self.transition(BreakerState::ForcedOpen, now);
    }

    /// Operator override: admit every call and never trip until [`CircuitBreaker::reset`].
    pub fn disable(&mut self, now: Timestamp) {
        self.transition(BreakerState::Disabled, now);
    }

    /// Back to closed with a clean record.
    pub fn reset(&mut self, now: Timestamp) {
        self.close(now);
    }

    /// Returns the permit's probe slot; true if the permit belongs to the current epoch. A
    /// probe given up on had its slot returned already, but its outcome, if it ever comes,
    /// still says how the upstream is.
    fn release(&mut self, permit: &Permit) -> bool {
        let current = permit.epoch == self.epoch;
        if current && permit.probe && permit.round == self.probe_round {
            self.probes_in_flight -= 1;
        }
        current
    }

    /// Applies the transitions that time alone causes.
    fn advance(&mut self, now: Timestamp) {
        if self.state == BreakerState::Open && now >= self.open_until {
            self.half_open_progress_at = now;
            self.half_open_successes = 0;
            self.transition(BreakerState::HalfOpen, now);
        } else if self.state == BreakerState::HalfOpen
            && self.probes_in_flight > 0
            && now >= self.probe_deadline()
        {
            // Hung probes: free their slots for new ones. Nothing failed, so the breaker
            // neither reopens nor lengthens its next open period.
            self.counters.abandoned_probes += u64::from(self.probes_in_flight);
            self.probes_in_flight = 0;
            self.probe_round += 1;
            self.half_open_progress_at = now;
        }
    }

    fn trip_if_due(
        &mut self,
        now: Timestamp,
        retry_after: Option<Duration>,
        rng: &mut impl RandomSource,
    ) {
        let config = self.config;
        let consecutive = config
            .consecutive_failures
            .is_some_and(|trip| self.consecutive_failures >= trip.failures);
        let count = match (config.failure_count, &mut self.failure_count_window) {
            (Some(trip), Some(window)) => window.totals(now).failures >= u64::from(trip.failures),
            _ => false,
        };
        let totals = self.window.totals(now);
        let rate_reached = |threshold: f64, minimum_calls: u32, part: u64| {
            totals.calls >= u64::from(minimum_calls)
                && part as f64 >= threshold * totals.calls as f64
        };
        let failure_rate = config
            .failure_rate
            .is_some_and(|trip| rate_reached(trip.threshold, trip.minimum_calls, totals.failures));
        let slow_rate = config
            .slow_call_rate
            .is_some_and(|trip| rate_reached(trip.threshold, trip.minimum_calls, totals.slow));
        if consecutive || count || failure_rate || slow_rate {
            self.open(now, retry_after, rng);
        }
    }

    fn open(&mut self, now: Timestamp, retry_after: Option<Duration>, rng: &mut impl RandomSource) {
        let policy = self.config.open;
        let grown = policy.base.as_secs_f64() * policy.growth.powi(self.reopenings.min(64) as i32);
        let capped = if grown.is_finite() && grown < policy.max.as_secs_f64() {
            Duration::from_secs_f64(grown)
        } else {
            policy.max
        };
        let jittered = capped.mul_f64(1.0 - policy.jitter * rng.unit());
        let asked = retry_after.map_or(Duration::ZERO, |ra| ra.min(self.config.max_retry_after));
        self.open_until = now + jittered.max(asked);
        self.reopenings = self.reopenings.saturating_add(1);
        self.transition(BreakerState::Open, now);
    }

    fn close(&mut self, now: Timestamp) {
        self.reopenings = 0;
        self.transition(BreakerState::Closed, now);
    }

    fn transition(&mut self, to: BreakerState, now: Timestamp) {
        let from = self.state;
        self.state = to;
        self.epoch += 1;
        self.probes_in_flight = 0;
        self.consecutive_failures = 0;
        self.window.clear(now);
        if let Some(window) = &mut self.failure_count_window {
            window.clear(now);
        }
        if from != to {
            self.counters.state_changes += 1;
            self.events.push(StateChange { from, to, at: now });
        }
    }
}

fn validate(config: &BreakerConfig) -> Result<(), ConfigError> {
    if config.consecutive_failures.is_none()
        && config.failure_count.is_none()
        && config.failure_rate.is_none()
        && config.slow_call_rate.is_none()
    {
        return Err(ConfigError::NoTrip);
    }
    if let Some(trip) = config.consecutive_failures {
        config_error::nonzero("breaker consecutive_failures", u64::from(trip.failures))?;
    }
    if let Some(trip) = config.failure_count {
        config_error::nonzero("breaker failure_count failures", u64::from(trip.failures))?;
        config_error::nonzero_duration(
            "breaker failure_count within / 10",
            trip.within / FAILURE_COUNT_BUCKETS,
        )?;
    }
    if let Some(trip) = config.failure_rate {
        config_error::fraction_in(
            "breaker failure_rate threshold",
            trip.threshold,
            f64::MIN_POSITIVE..=1.0,
            "above 0 and at most 1",
        )?;
        config_error::nonzero(
            "breaker failure_rate minimum_calls",
            u64::from(trip.minimum_calls),
        )?;
    }
    if let Some(trip) = config.slow_call_rate {
        config_error::fraction_in(
            "breaker slow_call_rate threshold",
            trip.threshold,
            f64::MIN_POSITIVE..=1.0,
            "above 0 and at most 1",
        )?;
        config_error::nonzero(
            "breaker slow_call_rate minimum_calls",
            u64::from(trip.minimum_calls),
        )?;
        config_error::nonzero_duration("breaker slow_call_rate slower_than", trip.slower_than)?;
    }
    match config.window {
        WindowKind::CountBased { calls } => {
            config_error::nonzero("breaker window calls", u64::from(calls))?;
        }
        WindowKind::TimeBased {
            buckets,
            bucket_width,
        } => {
            config_error::nonzero("breaker window buckets", u64::from(buckets))?;
            config_error::nonzero_duration("breaker window bucket_width", bucket_width)?;
        }
    }
    config_error::nonzero_duration("breaker open base", config.open.base)?;
    config_error::ordered(
        "breaker open base",
        config.open.base,
        "breaker open max",
        config.open.max,
    )?;
    config_error::fraction_in(
        "breaker open growth",
        config.open.growth,
        1.0..=100.0,
        "between 1 and 100",
    )?;
    config_error::fraction_in(
        "breaker open jitter",
        config.open.jitter,
        0.0..=0.99,
        "between 0 and 0.99",
    )?;
    config_error::nonzero(
        "breaker half_open max_probes",
        u64::from(config.half_open.max_probes),
    )?;
    config_error::nonzero(
        "breaker half_open successes_to_close",
        u64::from(config.half_open.successes_to_close),
    )?;
    config_error::nonzero_duration("breaker half_open max_wait", config.half_open.max_wait)?;
    Ok(())
}
