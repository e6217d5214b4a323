//! Sliding windows of call outcomes, for failure-rate and slow-call-rate decisions. Allocated
//! once at construction; recording an outcome never allocates.

use std::time::Duration;

use super::time::Timestamp;

/// How the breaker's window of recent calls is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    /// The last `calls` outcomes, whenever they happened.
    CountBased { calls: u32 },
    /// The outcomes of the last `buckets * bucket_width`, aged out a bucket at a time.
    TimeBased {
        buckets: u32,
        bucket_width: Duration,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) calls: u64,
    pub(crate) failures: u64,
    pub(crate) slow: u64,
}

impl Totals {
    fn add(&mut self, failure: bool, slow: bool) {
        self.calls += 1;
        self.failures += u64::from(failure);
        self.slow += u64::from(slow);
    }

    fn remove(&mut self, other: Totals) {
        self.calls -= other.calls;
        self.failures -= other.failures;
        self.slow -= other.slow;
    }
}

const FAILURE: u8 = 1;
const SLOW: u8 = 2;
const RECORDED: u8 = 4;

#[derive(Debug, Clone)]
pub(crate) enum SlidingWindow {
    Count {
        /// One byte of flags per slot; a slot without RECORDED is empty.
        slots: Box<[u8]>,
        next: usize,
        totals: Totals,
    },
    Time {
        buckets: Box<[Totals]>,
        bucket_width: Duration,
        head: usize,
        head_start: Timestamp,
        totals: Totals,
    },
}

impl SlidingWindow {
    /// Requires `calls > 0`, or `buckets > 0` and a non-zero width (checked by the breaker).
    pub(crate) fn new(kind: WindowKind) -> Self {
        match kind {
            WindowKind::CountBased { calls } => Self::Count {
                slots: vec![0; calls as usize].into_boxed_slice(),
                next: 0,
                totals: Totals::default(),
            },
            WindowKind::TimeBased {
                buckets,
                bucket_width,
            } => Self::Time {
                buckets: vec![Totals::default(); buckets as usize].into_boxed_slice(),
                bucket_width,
                head: 0,
                head_start: Timestamp::ZERO,
                totals: Totals::default(),
            },
        }
    }

    pub(crate) fn record(&mut self, now: Timestamp, failure: bool, slow: bool) {
        self.advance(now);
        match self {
            Self::Count {
                slots,
                next,
                totals,
            } => {
                let old = slots[*next];
                if old & RECORDED != 0 {
                    totals.remove(Totals {
                        calls: 1,
                        failures: u64::from(old & FAILURE != 0),
                        slow: u64::from(old & SLOW != 0),
                    });
                }
                slots[*next] =
                    RECORDED | if failure { FAILURE } else { 0 } | if slow { SLOW } else { 0 };
                totals.add(failure, slow);
                *next = (*next + 1) % slots.len();
            }
            Self::Time {
                buckets,
                head,
                totals,
                ..
            } => {
                buckets[*head].add(failure, slow);
                totals.add(failure, slow);
            }
        }
    }

    pub(crate) fn totals(&mut self, now: Timestamp) -> Totals {
        self.advance(now);
        match self {
            Self::Count { totals, .. } | Self::Time { totals, .. } => *totals,
        }
    }

    pub(crate) fn clear(&mut self, now: Timestamp) {
        match self {
            Self::Count {
                slots,
                next,
                totals,
            } => {
                slots.fill(0);
                *next = 0;
                *totals = Totals::default();
            }
            Self::Time {
                buckets,
                head,
                head_start,
                totals,
                ..
            } => {
                buckets.fill(Totals::default());
                *head = 0;
                *head_start = now;
                *totals = Totals::default();
            }
        }
    }

    fn advance(&mut self, now: Timestamp) {
        let Self::Time {
            buckets,
            bucket_width,
            head,
            head_start,
            totals,
        } = self
        else {
            return;
        };
        let elapsed = now.saturating_since(*head_start);
        if elapsed < *bucket_width {
            return;
        }
        let steps = elapsed.as_nanos() / bucket_width.as_nanos();
        for _ in 0..steps.min(buckets.len() as u128) {
            *head = (*head + 1) % buckets.len();
            totals.remove(buckets[*head]);
            buckets[*head] = Totals::default();
        }
        let advanced = u64::try_from(bucket_width.as_nanos() * steps).unwrap_or(u64::MAX);
        *head_start = head_start.saturating_add(Duration::from_nanos(advanced));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_window_keeps_the_last_n_outcomes() {
        let mut window = SlidingWindow::new(WindowKind::CountBased { calls: 3 });
        let now = Timestamp::ZERO;
        window.record(now, true, false);
        window.record(now, true, true);
        assert_eq!(
            window.totals(now),
            Totals {
                calls: 2,
                failures: 2,
                slow: 1
            }
        );
        window.record(now, false, false);
        window.record(now, false, false);
        assert_eq!(
            window.totals(now),
            Totals {
                calls: 3,
                failures: 1,
                slow: 1
            }
        );
        window.clear(now);
        assert_eq!(window.totals(now), Totals::default());
    }

    #[test]
    fn a_time_window_ages_out_a_bucket_at_a_time() {
        let mut window = SlidingWindow::new(WindowKind::TimeBased {
            buckets: 10,
            bucket_width: Duration::from_secs(1),
        });
        window.record(Timestamp::from_millis(500), true, false);
        window.record(Timestamp::from_millis(5_500), false, false);
        assert_eq!(window.totals(Timestamp::from_millis(9_999)).calls, 2);
        assert_eq!(window.totals(Timestamp::from_millis(10_000)).calls, 1);
        assert_eq!(window.totals(Timestamp::from_millis(15_000)).calls, 0);
        window.record(Timestamp::from_secs(1_000_000), true, false);
        assert_eq!(window.totals(Timestamp::from_secs(1_000_000)).failures, 1);
    }
}
