//! When to try again: which failures are worth retrying, how long to wait, and when to stop.
//! Fixes the v2.2.0 defects: timeouts are retried when the request is idempotent, `Retry-After`
//! is honoured, jitter is available, and an overall deadline bounds the whole sequence.

use std::time::Duration;

use super::backoff::Backoff;
use super::config_error::{self, ConfigError};
use super::rng::RandomSource;
use super::time::Timestamp;

/// How an attempt failed, as the upstream adapter classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Nothing listened: the request never reached the upstream.
    ConnectionRefused,
    /// The name did not resolve: the request never left.
    Dns,
    /// The connection broke: the upstream may have acted on the request.
    ConnectionReset,
    BrokenPipe,
    /// No answer within the attempt timeout: the upstream may have acted on the request.
    Timeout,
    /// 429: the upstream refused the request unprocessed.
    RateLimited {
        retry_after: Option<Duration>,
    },
    /// 503: the upstream refused the request unprocessed.
    Unavailable {
        retry_after: Option<Duration>,
    },
    /// Any other 5xx.
    ServerError {
        status: u16,
    },
    /// Any 4xx but 429: the request itself is wrong; repeating it cannot help.
    ClientError {
        status: u16,
    },
    /// A 2xx whose body made no sense (bad JSON, an ID that fails to parse).
    MalformedResponse,
}

impl FailureKind {
    pub fn retry_after(self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::Unavailable { retry_after } => retry_after,
            _ => None,
        }
    }
}

/// Whether repeating a request can do harm. A mint with an idempotency key is idempotent; one
/// without is not, so a retry after a timeout could mint twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    Idempotent,
    NotIdempotent,
}

/// The retry rules. Stateless: one [`RetryState`] per request carries the progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    backoff: Backoff,
    attempt_timeout: Duration,
    deadline: Option<Duration>,
    max_retry_after: Duration,
}

/// Progress of one request through its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryState {
    attempts: u32,
    started: Timestamp,
    previous_delay: Duration,
}

impl RetryState {
    /// Attempts made or under way, counting the first.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this long, then make the next attempt.
    RetryAfter(Duration),
    GiveUp(GiveUp),
}

/// Why a request will not be tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GiveUp {
    #[error("the failure is not one a retry can fix")]
    NotRetryable,
    #[error("all {0} attempts failed")]
    AttemptsExhausted(u32),
    #[error("the deadline would pass before another attempt could finish")]
    DeadlineReached,
    #[error("the upstream asked to wait {0:?}, longer than this client will")]
    RetryAfterTooLong(Duration),
    #[error("the retry budget is spent: the upstream is failing for many requests")]
    BudgetExhausted,
}

impl RetryPolicy {
    /// `deadline` bounds the whole sequence, delays included; `max_retry_after` is the longest
    /// `Retry-After` this client will wait out rather than give up.
    pub fn try_new(
        max_attempts: u32,
        backoff: Backoff,
        attempt_timeout: Duration,
        deadline: Option<Duration>,
        max_retry_after: Duration,
    ) -> Result<Self, ConfigError> {
        config_error::nonzero("retry max_attempts", u64::from(max_attempts))?;
        config_error::nonzero_duration("retry attempt_timeout", attempt_timeout)?;
        if let Some(deadline) = deadline {
            config_error::nonzero_duration("retry deadline", deadline)?;
        }
        Ok(Self {
            max_attempts,
            backoff,
            attempt_timeout,
            deadline,
            max_retry_after,
        })
    }

    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    pub fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// Starts a request: its first attempt is under way.
    pub fn start(&self, now: Timestamp) -> RetryState {
        RetryState {
            attempts: 1,
            started: now,
            previous_delay: Duration::ZERO,
        }
    }

    /// How long the attempt starting `now` may take: the per-attempt timeout, cut to what is
    /// left of the deadline so that the last attempt never overruns it. `None` when no time is
    /// left.
    pub fn attempt_timeout(&self, state: &RetryState, now: Timestamp) -> Option<Duration> {
        match self.deadline {
            None => Some(self.attempt_timeout),
            Some(deadline) => {
                let left = deadline.saturating_sub(now.saturating_since(state.started));
                (!left.is_zero()).then(|| self.attempt_timeout.min(left))
            }
        }
    }

    pub fn is_retryable(&self, kind: FailureKind, idempotency: Idempotency) -> bool {
        let idempotent = idempotency == Idempotency::Idempotent;
        match kind {
            FailureKind::ConnectionRefused
            | FailureKind::Dns
            | FailureKind::RateLimited { .. }
            | FailureKind::Unavailable { .. } => true,
            FailureKind::ConnectionReset
            | FailureKind::BrokenPipe
            | FailureKind::Timeout
            | FailureKind::MalformedResponse
            | FailureKind::ServerError {
                status: 500 | 502 | 504,
            } => idempotent,
            FailureKind::ServerError { .. } | FailureKind::ClientError { .. } => false,
        }
    }

    /// Decides what follows a failed attempt, and records the retry in `state` if there is one.
    pub fn after_failure(
        &self,
        state: &mut RetryState,
        kind: FailureKind,
        idempotency: Idempotency,
        now: Timestamp,
        rng: &mut impl RandomSource,
    ) -> RetryDecision {
        if !self.is_retryable(kind, idempotency) {
            return RetryDecision::GiveUp(GiveUp::NotRetryable);
        }
        if state.attempts >= self.max_attempts {
            return RetryDecision::GiveUp(GiveUp::AttemptsExhausted(state.attempts));
        }
        let mut delay = self
            .backoff
            .delay(state.attempts, state.previous_delay, rng);
        if let Some(retry_after) = kind.retry_after() {
            if retry_after > self.max_retry_after {
                return RetryDecision::GiveUp(GiveUp::RetryAfterTooLong(retry_after));
            }
            delay = delay.max(retry_after);
        }
        if let Some(deadline) = self.deadline {
            let elapsed_at_retry = now.saturating_since(state.started).saturating_add(delay);
            if elapsed_at_retry >= deadline {
                return RetryDecision::GiveUp(GiveUp::DeadlineReached);
            }
        }
        state.attempts += 1;
        state.previous_delay = delay;
        RetryDecision::RetryAfter(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::backoff::Jitter;
    use crate::resilience::rng::SplitMix64;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn v2_2_0() -> RetryPolicy {
        let backoff =
            Backoff::try_new(ms(100), 2.0, Duration::ZERO, ms(5_000), Jitter::None).expect("valid");
        RetryPolicy::try_new(3, backoff, ms(10_000), None, ms(60_000)).expect("valid")
    }

    /// Runs attempts against `outcomes` (None = success) and returns how many were made.
    fn attempts_against(
        policy: &RetryPolicy,
        outcomes: &[Option<FailureKind>],
    ) -> (u32, Option<GiveUp>) {
        let mut rng = SplitMix64::new(1);
        let mut now = Timestamp::ZERO;
        let mut state = policy.start(now);
        for outcome in outcomes {
            match outcome {
                None => return (state.attempts(), None),
                Some(kind) => match policy.after_failure(
                    &mut state,
                    *kind,
                    Idempotency::Idempotent,
                    now,
                    &mut rng,
                ) {
                    RetryDecision::RetryAfter(delay) => now = now + delay,
                    RetryDecision::GiveUp(why) => return (state.attempts(), Some(why)),
                },
            }
        }
        panic!("outcomes ran out");
    }

    #[test]
    fn refused_twice_then_success_takes_three_attempts() {
        let refused = Some(FailureKind::ConnectionRefused);
        assert_eq!(
            attempts_against(&v2_2_0(), &[refused, refused, None]),
            (3, None)
        );
    }

    #[test]
    fn a_non_retryable_error_takes_one_attempt() {
        let bad_request = Some(FailureKind::ClientError { status: 400 });
        assert_eq!(
            attempts_against(&v2_2_0(), &[bad_request]),
            (1, Some(GiveUp::NotRetryable))
        );
    }

    #[test]
    fn always_failing_takes_exactly_max_attempts() {
        let refused = Some(FailureKind::ConnectionRefused);
        assert_eq!(
            attempts_against(&v2_2_0(), &[refused; 10]),
            (3, Some(GiveUp::AttemptsExhausted(3)))
        );
    }

    #[test]
    fn timeouts_are_retried_only_when_idempotent() {
        let policy = v2_2_0();
        assert!(policy.is_retryable(FailureKind::Timeout, Idempotency::Idempotent));
        assert!(!policy.is_retryable(FailureKind::Timeout, Idempotency::NotIdempotent));
        assert!(policy.is_retryable(FailureKind::ConnectionRefused, Idempotency::NotIdempotent));
        assert!(!policy.is_retryable(
            FailureKind::ClientError { status: 404 },
            Idempotency::Idempotent
        ));
        assert!(!policy.is_retryable(
            FailureKind::ServerError { status: 501 },
            Idempotency::Idempotent
        ));
    }

    #[test]
    fn retry_after_lengthens_the_delay_or_ends_the_sequence() {
        let policy = v2_2_0();
        let mut rng = SplitMix64::new(1);
        let mut state = policy.start(Timestamp::ZERO);
        let asked = FailureKind::Unavailable {
            retry_after: Some(ms(2_000)),
        };
        assert_eq!(
            policy.after_failure(
                &mut state,
                asked,
                Idempotency::NotIdempotent,
                Timestamp::ZERO,
                &mut rng
            ),
            RetryDecision::RetryAfter(ms(2_000))
        );
        let too_long = FailureKind::RateLimited {
            retry_after: Some(ms(120_000)),
        };
        assert_eq!(
            policy.after_failure(
                &mut state,
                too_long,
                Idempotency::Idempotent,
                Timestamp::ZERO,
                &mut rng
            ),
            RetryDecision::GiveUp(GiveUp::RetryAfterTooLong(ms(120_000)))
        );
    }

    #[test]
    fn the_last_attempt_never_overruns_the_deadline() {
        let backoff =
            Backoff::try_new(ms(100), 2.0, Duration::ZERO, ms(5_000), Jitter::None).expect("valid");
        let policy =
            RetryPolicy::try_new(10, backoff, ms(1_000), Some(ms(1_500)), ms(0)).expect("valid");
        let mut rng = SplitMix64::new(1);
        let mut now = Timestamp::ZERO;
        let mut state = policy.start(now);
        loop {
            let timeout = policy
                .attempt_timeout(&state, now)
                .expect("time left at each start");
            // The attempt times out after its whole allowance.
            now = now + timeout;
            assert!(now.since_origin() <= ms(1_500), "attempt ended at {now:?}");
            match policy.after_failure(
                &mut state,
                FailureKind::Timeout,
                Idempotency::Idempotent,
                now,
                &mut rng,
            ) {
                RetryDecision::RetryAfter(delay) => now = now + delay,
                RetryDecision::GiveUp(why) => {
                    assert_eq!(why, GiveUp::DeadlineReached);
                    break;
                }
            }
        }
        assert_eq!(
            state.attempts(),
            2,
            "1000 ms, 100 ms pause, then the 400 ms left"
        );
    }

    #[test]
    fn nonsense_is_refused() {
        let backoff =
            Backoff::try_new(ms(100), 2.0, Duration::ZERO, ms(5_000), Jitter::None).expect("valid");
        assert!(RetryPolicy::try_new(0, backoff, ms(1), None, ms(0)).is_err());
        assert!(RetryPolicy::try_new(3, backoff, ms(0), None, ms(0)).is_err());
        assert!(RetryPolicy::try_new(3, backoff, ms(1), Some(ms(0)), ms(0)).is_err());
    }
}
