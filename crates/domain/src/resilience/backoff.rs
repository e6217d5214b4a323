//! How long to wait before the next attempt: exponential growth between bounds, with a choice of
//! jitter so that many clients that failed together do not retry together.

use std::time::Duration;

use super::config_error::{self, ConfigError};
use super::rng::RandomSource;

/// The jitter modes of the AWS architecture note on backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// The exponential delay itself (v2.2.0).
    None,
    /// Uniform between the lower bound and the exponential delay.
    Full,
    /// Half the exponential delay plus a uniform part of the other half.
    Equal,
    /// Uniform between the initial delay and three times the previous delay.
    Decorrelated,
}

/// Exponential backoff: `initial * multiplier^(retry - 1)`, jittered, always within
/// `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    initial: Duration,
    multiplier: f64,
    min: Duration,
    max: Duration,
    jitter: Jitter,
}

impl Backoff {
    /// The largest multiplier accepted; beyond it delays hit `max` after one step anyway.
    pub const MAX_MULTIPLIER: f64 = 1_000.0;

    pub fn try_new(
        initial: Duration,
        multiplier: f64,
        min: Duration,
        max: Duration,
        jitter: Jitter,
    ) -> Result<Self, ConfigError> {
        config_error::nonzero_duration("backoff max", max)?;
        config_error::fraction_in(
            "backoff multiplier",
            multiplier,
            1.0..=Self::MAX_MULTIPLIER,
            "between 1 and 1000",
        )?;
        config_error::ordered("backoff min", min, "backoff max", max)?;
        config_error::ordered("backoff initial", initial, "backoff max", max)?;
        Ok(Self {
            initial,
            multiplier,
            min,
            max,
            jitter,
        })
    }

    pub fn min(&self) -> Duration {
        self.min
    }

    pub fn max(&self) -> Duration {
        self.max
    }

    pub fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The exponential delay before retry number `retry` (1 for the first retry), unjittered,
    /// within bounds.
    pub fn base_delay(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(i32::MAX as u32) as i32;
        let seconds = self.initial.as_secs_f64() * self.multiplier.powi(exponent);
        let capped = if seconds.is_finite() && seconds < self.max.as_secs_f64() {
            Duration::from_secs_f64(seconds)
        } else {
            self.max
        };
        capped.clamp(self.min, self.max)
    }

    /// The delay before retry number `retry` (1-based). `previous` is the delay used before the
    /// previous retry (zero before the first); only decorrelated jitter reads it.
    pub fn delay(&self, retry: u32, previous: Duration, rng: &mut impl RandomSource) -> Duration {
        let base = self.base_delay(retry);
        let delay = match self.jitter {
            Jitter::None => base,
            Jitter::Full => self.min + rng.duration_up_to(base.saturating_sub(self.min)),
            Jitter::Equal => base / 2 + rng.duration_up_to(base - base / 2),
            Jitter::Decorrelated => {
                let low = self.initial.max(self.min);
                let high = previous.max(self.initial).saturating_mul(3).min(self.max);
                low + rng.duration_up_to(high.saturating_sub(low))
            }
        };
        delay.clamp(self.min, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::rng::SplitMix64;
    use proptest::prelude::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_v2_2_0_schedule_doubles_from_100ms_to_a_5s_cap() {
        let backoff =
            Backoff::try_new(ms(100), 2.0, Duration::ZERO, ms(5_000), Jitter::None).expect("valid");
        let mut rng = SplitMix64::new(0);
        let delays: Vec<u64> = (1..=8)
            .map(|retry| backoff.delay(retry, Duration::ZERO, &mut rng).as_millis() as u64)
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
        assert_eq!(backoff.delay(u32::MAX, Duration::ZERO, &mut rng), ms(5_000));
    }

    #[test]
    fn nonsense_is_refused_at_construction() {
        let make = |initial, multiplier, min, max| {
            Backoff::try_new(ms(initial), multiplier, ms(min), ms(max), Jitter::Full)
        };
        assert!(matches!(
            make(100, 2.0, 0, 0),
            Err(ConfigError::Zero { .. })
        ));
        assert!(matches!(
            make(100, 2.0, 500, 200),
            Err(ConfigError::Inverted { .. })
        ));
        assert!(matches!(
            make(300, 2.0, 0, 200),
            Err(ConfigError::Inverted { .. })
        ));
        assert!(matches!(
            make(100, 0.5, 0, 200),
            Err(ConfigError::OutOfRange { .. })
        ));
        assert!(matches!(
            make(100, f64::NAN, 0, 200),
            Err(ConfigError::OutOfRange { .. })
        ));
        assert!(matches!(
            make(100, f64::INFINITY, 0, 200),
            Err(ConfigError::OutOfRange { .. })
        ));
    }

    fn jitter() -> impl Strategy<Value = Jitter> {
        prop_oneof![
            Just(Jitter::None),
            Just(Jitter::Full),
            Just(Jitter::Equal),
            Just(Jitter::Decorrelated)
        ]
    }

    proptest! {
        #[test]
        fn every_delay_lies_within_its_bounds(
            initial in 0u64..10_000,
            multiplier in 1.0f64..10.0,
            min in 0u64..5_000,
            extra in 0u64..60_000,
            jitter in jitter(),
            seed in any::<u64>(),
            retries in proptest::collection::vec(0u32..100, 1..20),
        ) {
            let max = min + extra.max(1);
            let initial = initial.min(max);
            let backoff = Backoff::try_new(ms(initial), multiplier, ms(min), ms(max), jitter)
                .expect("valid by construction");
            let mut rng = SplitMix64::new(seed);
            let mut previous = Duration::ZERO;
            for retry in retries {
                let delay = backoff.delay(retry, previous, &mut rng);
                prop_assert!(delay >= ms(min) && delay <= ms(max), "{delay:?} outside {min}..={max} ms");
                previous = delay;
            }
        }

        #[test]
        fn jitter_never_exceeds_the_exponential_delay_except_decorrelated(
            retry in 1u32..20, seed in any::<u64>(),
        ) {
            let mut rng = SplitMix64::new(seed);
            for jitter in [Jitter::None, Jitter::Full, Jitter::Equal] {
                let backoff = Backoff::try_new(ms(100), 2.0, Duration::ZERO, ms(60_000), jitter)
                    .expect("valid");
                prop_assert!(backoff.delay(retry, Duration::ZERO, &mut rng) <= backoff.base_delay(retry));
            }
        }
    }
}
