//! The one clock of the app crate: monotonic time for the resilience policies, wall time for
//! records, months and key expiry. Injected everywhere, so tests drive time by hand.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use chittyid_domain::resilience::Timestamp;

pub trait Clock: Send + Sync + 'static {
    /// Time since an arbitrary origin, never going back.
    fn monotonic(&self) -> Timestamp;
    /// Milliseconds since the Unix epoch.
    fn unix_ms(&self) -> i64;
}

/// The machine's clocks. Monotonic time is tokio's, the clock the app crate's waits (retry
/// backoff, the idempotency wait, the monitor's pauses, timeouts) run on: a test that pauses
/// tokio's clock (`start_paused`) and advances it moves the readings and the waits together.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: tokio::time::Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn monotonic(&self) -> Timestamp {
        Timestamp::from_duration(self.origin.elapsed())
    }

    fn unix_ms(&self) -> i64 {
        unix_now_ms()
    }
}

/// The machine's wall time in milliseconds since the Unix epoch (0 before it).
pub fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A clock that moves only when told: both readings advance together.
#[derive(Debug)]
pub struct ManualClock {
    monotonic_ms: AtomicU64,
    unix_ms: AtomicI64,
}

impl ManualClock {
    /// Starts at monotonic zero and the given wall time.
    pub fn starting_at(unix_ms: i64) -> Self {
        Self {
            monotonic_ms: AtomicU64::new(0),
            unix_ms: AtomicI64::new(unix_ms),
        }
    }

    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.monotonic_ms.fetch_add(ms, Ordering::SeqCst);
        self.unix_ms
            .fetch_add(i64::try_from(ms).unwrap_or(i64::MAX), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn monotonic(&self) -> Timestamp {
        Timestamp::from_millis(self.monotonic_ms.load(Ordering::SeqCst))
    }

    fn unix_ms(&self) -> i64 {
        self.unix_ms.load(Ordering::SeqCst)
    }
}

impl<T: Clock + ?Sized> Clock for std::sync::Arc<T> {
    fn monotonic(&self) -> Timestamp {
        (**self).monotonic()
    }

    fn unix_ms(&self) -> i64 {
        (**self).unix_ms()
    }
}
