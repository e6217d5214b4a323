//! Time as the policies see it: readings of a monotonic clock that the caller owns.

use std::ops::Add;
use std::time::Duration;

/// A reading of a monotonic clock, as the time elapsed since an origin the caller picks (process
/// start, test start). Policies only ever compare and subtract readings of one clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(Duration);

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(Duration::ZERO);

    pub const fn from_duration(since_origin: Duration) -> Self {
        Self(since_origin)
    }

    pub const fn from_millis(millis: u64) -> Self {
        Self(Duration::from_millis(millis))
    }

    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    pub const fn since_origin(self) -> Duration {
        self.0
    }

    /// Time from `earlier` to `self`, or zero if `earlier` is later (a clock must never make a
    /// policy panic).
    pub fn saturating_since(self, earlier: Timestamp) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    pub fn saturating_add(self, duration: Duration) -> Timestamp {
        Self(self.0.saturating_add(duration))
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;

    fn add(self, duration: Duration) -> Timestamp {
        self.saturating_add(duration)
    }
}
