//! The retry budget (the Finagle model): retries may add at most a percentage of recent requests
//! plus a small reserve per second, so a failing upstream never sees more than
//! `(1 + percent)` times the offered load, plus the reserve, however many clients retry.

use std::time::Duration;

use super::config_error::{self, ConfigError};
use super::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetConfig {
    /// How far back requests and retries count.
    pub window: Duration,
    /// Retries allowed per request in the window, e.g. 0.2 for 20 %.
    pub percent_can_retry: f64,
    /// Retries allowed per second of window regardless of traffic, so a quiet client can
    /// still retry.
    pub min_retries_per_second: u32,
}

/// Buckets the window is cut into: counts age out a bucket at a time.
const BUCKETS: usize = 10;

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    requests: u64,
    retries: u64,
}

/// Tracks requests and retries over a sliding window of [`BUCKETS`] buckets.
#[derive(Debug, Clone)]
pub struct RetryBudget {
    config: BudgetConfig,
    bucket_width: Duration,
    buckets: [Bucket; BUCKETS],
    /// Index of the bucket `head_start` opened.
    head: usize,
    head_start: Timestamp,
}

impl RetryBudget {
    pub fn try_new(config: BudgetConfig) -> Result<Self, ConfigError> {
        config_error::nonzero_duration("budget window", config.window)?;
        config_error::fraction_in(
            "budget percent_can_retry",
            config.percent_can_retry,
            0.0..=10.0,
            "between 0 and 10 (0 % to 1000 %)",
        )?;
        let bucket_width = config.window / BUCKETS as u32;
        config_error::nonzero_duration("budget window / 10", bucket_width)?;
        Ok(Self {
            config,
            bucket_width,
            buckets: [Bucket::default(); BUCKETS],
            head: 0,
            head_start: Timestamp::ZERO,
        })
    }

    pub fn config(&self) -> &BudgetConfig {
        &self.config
    }

    /// Records a request's first attempt.
    pub fn deposit(&mut self, now: Timestamp) {
        self.rotate(now);
        self.buckets[self.head].requests += 1;
    }

    /// Takes one retry from the budget if it has one.
    pub fn try_withdraw(&mut self, now: Timestamp) -> bool {
        self.rotate(now);
        let allowed = self.allowed_retries();
        let spent = self.retries_in_window();
        if (spent as f64) + 1.0 <= allowed {
            self.buckets[self.head].retries += 1;
            true
        } else {
            false
        }
    }

    /// Retries the window allows in total: the reserve plus the percentage of requests.
    pub fn allowed_retries(&self) -> f64 {
        let reserve =
            f64::from(self.config.min_retries_per_second) * self.config.window.as_secs_f64();
        reserve + self.config.percent_can_retry * self.requests_in_window() as f64
    }

    pub fn requests_in_window(&self) -> u64 {
        self.buckets.iter().map(|b| b.requests).sum()
    }

    pub fn retries_in_window(&self) -> u64 {
        self.buckets.iter().map(|b| b.retries).sum()
    }

    /// Moves the head forward to the bucket containing `now`, emptying the buckets that aged
    /// out. A reading earlier than the head counts in the head bucket.
    fn rotate(&mut self, now: Timestamp) {
        let elapsed = now.saturating_since(self.head_start);
        if elapsed < self.bucket_width {
            return;
        }
        let steps = elapsed.as_nanos() / self.bucket_width.as_nanos();
        for _ in 0..steps.min(BUCKETS as u128) {
            self.head = (self.head + 1) % BUCKETS;
            self.buckets[self.head] = Bucket::default();
        }
        let advanced = self.bucket_width.as_nanos() * steps;
        self.head_start = self.head_start.saturating_add(Duration::from_nanos(
            u64::try_from(advanced).unwrap_or(u64::MAX),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn budget(percent: f64, min_per_second: u32) -> RetryBudget {
        RetryBudget::try_new(BudgetConfig {
            window: Duration::from_secs(10),
            percent_can_retry: percent,
            min_retries_per_second: min_per_second,
        })
        .expect("valid")
    }

    #[test]
    fn retries_are_a_percentage_of_requests() {
        let mut budget = budget(0.2, 0);
        let now = Timestamp::from_secs(1);
        for _ in 0..100 {
            budget.deposit(now);
        }
        let granted = (0..100).filter(|_| budget.try_withdraw(now)).count();
        assert_eq!(granted, 20);
    }

    #[test]
    fn the_reserve_lets_a_quiet_client_retry() {
        let mut budget = budget(0.0, 1);
        let granted = (0..100)
            .filter(|_| budget.try_withdraw(Timestamp::from_secs(1)))
            .count();
        assert_eq!(granted, 10, "1 per second over a 10 s window");
    }

    #[test]
    fn old_requests_and_retries_age_out() {
        let mut budget = budget(0.5, 0);
        for _ in 0..10 {
            budget.deposit(Timestamp::from_secs(0));
        }
        assert_eq!(
            (0..10)
                .filter(|_| budget.try_withdraw(Timestamp::from_secs(0)))
                .count(),
            5
        );
        assert!(!budget.try_withdraw(Timestamp::from_secs(5)));
        assert_eq!(budget.requests_in_window(), 10);
        assert!(!budget.try_withdraw(Timestamp::from_secs(11)));
        assert_eq!(
            (budget.requests_in_window(), budget.retries_in_window()),
            (0, 0)
        );
    }

    #[test]
    fn nonsense_is_refused() {
        let config = |window, percent| BudgetConfig {
            window,
            percent_can_retry: percent,
            min_retries_per_second: 0,
        };
        assert!(RetryBudget::try_new(config(Duration::ZERO, 0.2)).is_err());
        assert!(RetryBudget::try_new(config(Duration::from_nanos(5), 0.2)).is_err());
        assert!(RetryBudget::try_new(config(Duration::from_secs(1), -0.1)).is_err());
        assert!(RetryBudget::try_new(config(Duration::from_secs(1), f64::NAN)).is_err());
    }

    #[derive(Debug, Clone)]
    enum Step {
        Request,
        Retry,
        Wait(u64),
    }

    proptest! {
        /// Whatever the sequence, a retry is only ever granted while the retries of the window,
        /// itself included, stay within what the window allows; and in the long run retries
        /// stay within twice the percentage of requests (a window straddles two) plus the reserve.
        #[test]
        fn retries_never_exceed_the_budget(
            percent in 0.0f64..1.0,
            reserve in 0u32..3,
            steps in proptest::collection::vec(
                prop_oneof![
                    3 => Just(Step::Request),
                    3 => Just(Step::Retry),
                    1 => (0u64..3_000).prop_map(Step::Wait),
                ],
                1..400,
            ),
        ) {
            let mut budget = budget(percent, reserve);
            let mut now = Timestamp::ZERO;
            let (mut requests, mut retries) = (0u64, 0u64);
            for step in steps {
                match step {
                    Step::Request => {
                        budget.deposit(now);
                        requests += 1;
                    }
                    Step::Retry => {
                        if budget.try_withdraw(now) {
                            retries += 1;
                            prop_assert!(
                                budget.retries_in_window() as f64 <= budget.allowed_retries() + 1e-9
                            );
                        }
                    }
                    Step::Wait(ms) => now = now + Duration::from_millis(ms),
                }
            }
            // Cut time into spans of nine buckets: the sliding window (nine to ten buckets) always
            // holds the whole span of its latest grant and touches at most one span before it.
            let windows = now.since_origin().as_secs_f64() / 9.0 + 1.0;
            let long_run = 2.0 * percent * requests as f64 + windows * f64::from(reserve) * 10.0;
            prop_assert!(retries as f64 <= long_run + 1e-9, "{retries} > {long_run}");
        }
    }
}
