//! The gateway's own counters: generate requests and their outcomes, latency histograms of
//! generates and audit records, refusals by the rate limit, validations. Lock-free; read at
//! scrape time by the HTTP adapter, which writes them as Prometheus metrics (the app crate
//! keeps no exporter, so teams may read these into any metrics system).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
pub const LATENCY_BUCKETS: [f64; 15] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];

/// A latency histogram over [`LATENCY_BUCKETS`].
#[derive(Debug, Default)]
pub struct LatencyHistogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// A copy of a histogram.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HistogramSnapshot {
    /// Observations at or under each bound of [`LATENCY_BUCKETS`].
    pub cumulative: [u64; LATENCY_BUCKETS.len()],
    /// All observations, including those over the last bound.
    pub count: u64,
    pub sum_seconds: f64,
}

impl LatencyHistogram {
    pub fn record(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = [0u64; LATENCY_BUCKETS.len()];
        let mut running = 0;
        for (slot, bucket) in cumulative.iter_mut().zip(&self.buckets) {
            running += bucket.load(Ordering::Relaxed);
            *slot = running;
        }
        HistogramSnapshot {
            cumulative,
            count: self.count.load(Ordering::Relaxed),
            sum_seconds: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}

impl HistogramSnapshot {
    /// The upper bound of the bucket holding the 95th percentile, in seconds; infinite when it
    /// is over the last bound, zero with no observations. For a status display: dashboards
    /// compute quantiles from the histogram over a window.
    pub fn p95_seconds(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = (self.count as f64 * 0.95).ceil() as u64;
        self.cumulative
            .iter()
            .position(|count| *count >= rank)
            .map_or(f64::INFINITY, |bucket| LATENCY_BUCKETS[bucket])
    }
}

#[derive(Debug, Default)]
pub struct GatewayMetrics {
    generation_successes: AtomicU64,
    generation_failures: AtomicU64,
    ids_generated: AtomicU64,
    generation_latency: LatencyHistogram,
    rate_limit_refusals: AtomicU64,
    validation_refusals: AtomicU64,
    audit_records: AtomicU64,
    audit_failures: AtomicU64,
    audit_detached: AtomicU64,
    audit_latency: LatencyHistogram,
    validations: AtomicU64,
    /// By [`SUSPICIOUS_PATTERNS`].
    suspicious: [AtomicU64; 3],
}

/// The reserved patterns counted as suspicious input, in the order of their counters.
pub const SUSPICIOUS_PATTERNS: [chittyid_domain::ReservedPattern; 3] = [
    chittyid_domain::ReservedPattern::SystemCommand,
    chittyid_domain::ReservedPattern::AdminCommand,
    chittyid_domain::ReservedPattern::TestMock,
];

/// A consistent-enough copy of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MetricsSnapshot {
    pub generation_successes: u64,
    pub generation_failures: u64,
    pub ids_generated: u64,
    pub generation_latency: HistogramSnapshot,
    pub rate_limit_refusals: u64,
    /// Validation requests refused by a key's validation budget.
    pub validation_refusals: u64,
    /// Audit events committed.
    pub audit_records: u64,
    /// Audit events that could not be stored (their requests failed).
    pub audit_failures: u64,
    /// Audit events queued without waiting (refusals, failures, validation inputs).
    pub audit_detached: u64,
    /// Of those, the ones never stored (queue full, store down, commit failed); filled in by
    /// the service from its audit sink.
    pub audit_dropped: u64,
    /// Time to store an audit event, committed or not.
    pub audit_latency: HistogramSnapshot,
    pub validations: u64,
    /// Reserved patterns received where IDs are expected, by [`SUSPICIOUS_PATTERNS`].
    pub suspicious: [u64; 3],
}

impl MetricsSnapshot {
    pub fn generation_requests(&self) -> u64 {
        self.generation_successes + self.generation_failures
    }

    /// Successful generate requests over all, 0 to 1; 1 before the first.
    pub fn generation_success_rate(&self) -> f64 {
        match self.generation_requests() {
            0 => 1.0,
            all => self.generation_successes as f64 / all as f64,
        }
    }
}

impl GatewayMetrics {
    pub fn record_generation(&self, ids: usize, success: bool, elapsed: Duration) {
        if success {
            self.generation_successes.fetch_add(1, Ordering::Relaxed);
            self.ids_generated.fetch_add(ids as u64, Ordering::Relaxed);
        } else {
            self.generation_failures.fetch_add(1, Ordering::Relaxed);
        }
        self.generation_latency.record(elapsed);
    }

    pub fn record_rate_limit_refusal(&self) {
        self.rate_limit_refusals.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_validation_refusal(&self) {
        self.validation_refusals.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_audit(&self, committed: bool, elapsed: Duration) {
        let counter = if committed {
            &self.audit_records
        } else {
            &self.audit_failures
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.audit_latency.record(elapsed);
    }

    pub fn record_audit_detached(&self) {
        self.audit_detached.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_suspicious(&self, pattern: chittyid_domain::ReservedPattern) {
        if let Some(index) = SUSPICIOUS_PATTERNS.iter().position(|p| *p == pattern) {
            self.suspicious[index].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn record_validations(&self, count: usize) {
        self.validations.fetch_add(count as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            generation_successes: self.generation_successes.load(Ordering::Relaxed),
            generation_failures: self.generation_failures.load(Ordering::Relaxed),
            ids_generated: self.ids_generated.load(Ordering::Relaxed),
            generation_latency: self.generation_latency.snapshot(),
            rate_limit_refusals: self.rate_limit_refusals.load(Ordering::Relaxed),
            validation_refusals: self.validation_refusals.load(Ordering::Relaxed),
            audit_records: self.audit_records.load(Ordering::Relaxed),
            audit_failures: self.audit_failures.load(Ordering::Relaxed),
            audit_detached: self.audit_detached.load(Ordering::Relaxed),
            audit_dropped: 0,
            audit_latency: self.audit_latency.snapshot(),
            validations: self.validations.load(Ordering::Relaxed),
            suspicious: [0, 1, 2].map(|i| self.suspicious[i].load(Ordering::Relaxed)),
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
        assert_eq!(snapshot.generation_latency.p95_seconds(), 0.005);
        assert_eq!(snapshot.generation_success_rate(), 0.95);
        assert_eq!(snapshot.generation_latency.cumulative.last(), Some(&100));
        metrics.record_generation(1, true, Duration::from_millis(900));
        assert_eq!(metrics.snapshot().generation_latency.p95_seconds(), 1.0);
        metrics.record_generation(1, true, Duration::from_secs(60));
        let over = metrics.snapshot().generation_latency;
        assert_eq!((over.count, over.cumulative.last()), (102, Some(&101)));
    }

    #[test]
    fn audit_records_and_refusals_are_counted_apart() {
        let metrics = GatewayMetrics::default();
        metrics.record_audit(true, Duration::from_micros(300));
        metrics.record_audit(false, Duration::from_millis(20));
        metrics.record_rate_limit_refusal();
        let snapshot = metrics.snapshot();
        assert_eq!(
            (
                snapshot.audit_records,
                snapshot.audit_failures,
                snapshot.audit_latency.count,
                snapshot.rate_limit_refusals
            ),
            (1, 1, 2, 1)
        );
    }
}
