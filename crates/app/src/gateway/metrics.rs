//! The gateway's own counters: generation totals and a latency histogram (from which p95 is
//! computed). Lock-free; read by the `/metrics` endpoint.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default)]
pub struct GatewayMetrics {
    generation_requests: AtomicU64,
    generation_successes: AtomicU64,
    generation_failures: AtomicU64,
    ids_generated: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    validations: AtomicU64,
}

/// A consistent-enough copy of the counters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricsSnapshot {
    pub generation_requests: u64,
    pub generation_successes: u64,
    pub generation_failures: u64,
    pub ids_generated: u64,
    /// Cumulative counts per bucket of [`LATENCY_BUCKETS`].
    pub latency_cumulative: [u64; LATENCY_BUCKETS.len()],
    pub latency_count: u64,
    pub latency_sum_seconds: f64,
    pub validations: u64,
}

impl MetricsSnapshot {
    /// Successful generate requests over all, 0 to 1; 1 before the first.
    pub fn generation_success_rate(&self) -> f64 {
        if self.generation_requests == 0 {
            1.0
        } else {
            self.generation_successes as f64 / self.generation_requests as f64
        }
    }

    /// The upper bound of the bucket holding the 95th percentile, in seconds.
    pub fn latency_p95_seconds(&self) -> f64 {
        if self.latency_count == 0 {
            return 0.0;
        }
        let rank = (self.latency_count as f64 * 0.95).ceil() as u64;
        self.latency_cumulative
            .iter()
            .position(|count| *count >= rank)
            .map_or(f64::INFINITY, |bucket| LATENCY_BUCKETS[bucket])
    }
}

impl GatewayMetrics {
    pub fn record_generation(&self, ids: usize, success: bool, elapsed: Duration) {
        self.generation_requests.fetch_add(1, Ordering::Relaxed);
        if success {
            self.generation_successes.fetch_add(1, Ordering::Relaxed);
            self.ids_generated.fetch_add(ids as u64, Ordering::Relaxed);
        } else {
            self.generation_failures.fetch_add(1, Ordering::Relaxed);
        }
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub fn record_validations(&self, count: usize) {
        self.validations.fetch_add(count as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        let mut cumulative = [0u64; LATENCY_BUCKETS.len()];
        let mut running = 0;
        for (slot, bucket) in cumulative.iter_mut().zip(&self.latency_buckets) {
            running += bucket.load(Ordering::Relaxed);
            *slot = running;
        }
        MetricsSnapshot {
            generation_requests: self.generation_requests.load(Ordering::Relaxed),
            generation_successes: self.generation_successes.load(Ordering::Relaxed),
            generation_failures: self.generation_failures.load(Ordering::Relaxed),
            ids_generated: self.ids_generated.load(Ordering::Relaxed),
            latency_cumulative: cumulative,
            latency_count: self.latency_count.load(Ordering::Relaxed),
            latency_sum_seconds: self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
            validations: self.validations.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p95_is_the_bucket_holding_the_95th_percentile() {
        let metrics = GatewayMetrics::default();
        for _ in 0..95 {
            metrics.record_generation(1, true, Duration::from_millis(3));
        }
        for _ in 0..5 {
            metrics.record_generation(1, false, Duration::from_millis(700));
        }
        let snapshot = metrics.snapshot();
        assert_eq!(snapshot.latency_p95_seconds(), 0.005);
        assert_eq!(snapshot.generation_success_rate(), 0.95);
        assert_eq!(snapshot.latency_cumulative.last(), Some(&100));
        metrics.record_generation(1, true, Duration::from_millis(900));
        assert_eq!(metrics.snapshot().latency_p95_seconds(), 1.0);
    }
}
