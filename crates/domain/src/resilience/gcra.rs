//! The generic cell rate algorithm (GCRA), the rate limit a shared store can run in one atomic
//! step: the whole state of a caller is one number, the theoretical arrival time (TAT) of its
//! next request. `limit` requests per `period`, bursts up to `limit`, like the token bucket in
//! [`super::RateLimiter`], so the two are interchangeable and property-tested alike.
//!
//! The Redis adapter runs this arithmetic in a Lua script on the server (times in microseconds
//! from the server's clock); this is the reference it is tested against.

use std::time::Duration;

use super::config_error::{self, ConfigError};

/// The policy: `limit` units per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    /// Time one unit takes to replenish, in microseconds.
    emission_us: u64,
    /// How far ahead of now the TAT may run: a full burst, `limit` emissions.
    tolerance_us: u64,
}

/// What one request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcraDecision {
    /// Allowed; store `new_tat_us` (it may be forgotten once now passes it).
    Allowed { new_tat_us: u64 },
    /// Refused; a request of the same cost is allowed after `retry_after`.
    Limited { retry_after: Duration },
}

impl Gcra {
    pub fn try_new(limit: u32, period: Duration) -> Result<Self, ConfigError> {
        config_error::nonzero("rate limit", u64::from(limit))?;
        config_error::nonzero_duration("rate limit period", period)?;
        let period_us = u64::try_from(period.as_micros()).unwrap_or(u64::MAX);
        let emission_us = (period_us / u64::from(limit)).max(1);
        Ok(Self {
            emission_us,
            tolerance_us: emission_us.saturating_mul(u64::from(limit)),
        })
    }

    pub fn emission_us(&self) -> u64 {
        self.emission_us
    }

    pub fn tolerance_us(&self) -> u64 {
        self.tolerance_us
    }

    /// Decides a request of `cost` units at `now_us`, given the stored TAT (none for a caller
    /// never seen or forgotten).
    pub fn decide(&self, stored_tat_us: Option<u64>, now_us: u64, cost: u32) -> GcraDecision {
        let tat = stored_tat_us.unwrap_or(now_us).max(now_us);
        let new_tat = tat.saturating_add(self.emission_us.saturating_mul(u64::from(cost)));
        let allow_at = new_tat.saturating_sub(self.tolerance_us);
        if now_us < allow_at {
            GcraDecision::Limited {
                retry_after: Duration::from_micros(allow_at - now_us),
            }
        } else {
            GcraDecision::Allowed {
                new_tat_us: new_tat,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINUTE: Duration = Duration::from_secs(60);

    /// Runs a sequence of (microseconds since the last request, cost) and returns the allowed
    /// ones with their times.
    fn run(gcra: Gcra, steps: &[(u64, u32)]) -> Vec<(u64, u32)> {
        let (mut now, mut tat, mut allowed) = (1_000_000_000u64, None, Vec::new());
        for &(gap, cost) in steps {
            now += gap;
            if let GcraDecision::Allowed { new_tat_us } = gcra.decide(tat, now, cost) {
                tat = Some(new_tat_us);
                allowed.push((now, cost));
            }
        }
        allowed
    }

    #[test]
    fn a_burst_of_the_limit_passes_and_the_next_waits_one_emission() {
        let gcra = Gcra::try_new(10, MINUTE).expect("valid");
        let allowed = run(gcra, &[(0, 1); 11]);
        assert_eq!(allowed.len(), 10);
        let tat = 1_000_000_000 + 10 * 6_000_000;
        match gcra.decide(Some(tat), 1_000_000_000, 1) {
            GcraDecision::Limited { retry_after } => {
                assert_eq!(retry_after, Duration::from_secs(6))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_cost_over_the_whole_limit_is_never_allowed() {
        let gcra = Gcra::try_new(5, MINUTE).expect("valid");
        assert!(matches!(
            gcra.decide(None, 0, 6),
            GcraDecision::Limited { .. }
        ));
        assert!(matches!(
            gcra.decide(None, 0, 5),
            GcraDecision::Allowed { .. }
        ));
    }

    proptest! {
        /// Over any stretch of time, what passes is at most a burst plus what replenishes:
        /// `limit + elapsed / emission` units, the token bucket's bound.
        #[test]
        fn allowed_units_never_exceed_a_burst_plus_the_refill(
            limit in 1u32..50,
            steps in proptest::collection::vec((0u64..5_000_000, 1u32..5), 1..300),
        ) {
            let gcra = Gcra::try_new(limit, MINUTE).expect("valid");
            let allowed = run(gcra, &steps);
            for (i, &(start, _)) in allowed.iter().enumerate() {
                let mut units = 0u64;
                for &(at, cost) in &allowed[i..] {
                    units += u64::from(cost);
                    let elapsed = at - start;
                    prop_assert!(
                        units <= u64::from(limit) + elapsed / gcra.emission_us() + 1,
                        "{units} units in {elapsed} µs with limit {limit}"
                    );
                }
            }
        }

        /// A refusal's retry_after is exact: the same request then passes, and not a
        /// microsecond before (for a cost within the limit; a larger one never passes, and the
        /// gateway refuses it before asking).
        #[test]
        fn retry_after_is_exactly_when_the_request_passes(
            limit in 3u32..20,
            burst in 1usize..40,
            cost in 1u32..3,
        ) {
            let gcra = Gcra::try_new(limit, MINUTE).expect("valid");
            let now = 1_000_000_000u64;
            let mut tat = None;
            for _ in 0..burst {
                if let GcraDecision::Allowed { new_tat_us } = gcra.decide(tat, now, cost) {
                    tat = Some(new_tat_us);
                }
            }
            if let GcraDecision::Limited { retry_after } = gcra.decide(tat, now, cost) {
                let wait = u64::try_from(retry_after.as_micros()).expect("small");
                let later = matches!(gcra.decide(tat, now + wait, cost), GcraDecision::Allowed { .. });
                let sooner = matches!(gcra.decide(tat, now + wait - 1, cost), GcraDecision::Limited { .. });
                prop_assert!(later && sooner);
            }
        }

        /// The token bucket and GCRA agree on a burst at one instant: both pass exactly
        /// `limit` units.
        #[test]
        fn gcra_and_the_token_bucket_agree_on_a_burst(limit in 1u32..100, cost in 1u32..4) {
            let gcra = Gcra::try_new(limit, MINUTE).expect("valid");
            let mut bucket = super::super::RateLimiter::try_new(limit, MINUTE, 10).expect("valid");
            let now = super::super::Timestamp::from_millis(0);
            let (mut tat, mut by_gcra, mut by_bucket) = (None, 0u32, 0u32);
            for _ in 0..(limit + 5) {
                if let GcraDecision::Allowed { new_tat_us } = gcra.decide(tat, 0, cost) {
                    tat = Some(new_tat_us);
                    by_gcra += cost;
                }
                if bucket.try_acquire(&"k", cost, now).is_ok() {
                    by_bucket += cost;
                }
            }
            prop_assert_eq!(by_gcra, by_bucket);
            prop_assert!(by_gcra <= limit);
        }
    }
}
