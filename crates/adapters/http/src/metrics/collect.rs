//! Writing a value the service already keeps (a counter of the breaker, the size of the cache)
//! as a metric at scrape time, so nothing is counted twice; and the process's own series.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

pub(crate) type Result = std::result::Result<(), std::fmt::Error>;

/// A counter family over one label: `key` takes each value in turn.
pub fn counters_by(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    key: &str,
    samples: &[(&str, u64)],
) -> Result {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (value, count) in samples {
        ConstCounter::new(*count).encode(family.encode_family(&[(key, *value)])?)?;
    }
    Ok(())
}

/// A gauge family over one label: `key` takes each value in turn.
pub fn gauges_by(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    key: &str,
    samples: &[(&str, f64)],
) -> Result {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (value, sample) in samples {
        ConstGauge::new(*sample).encode(family.encode_family(&[(key, *value)])?)?;
    }
    Ok(())
}

/// One counter with no labels.
pub fn counter(encoder: &mut DescriptorEncoder<'_>, name: &str, help: &str, value: u64) -> Result {
    let metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    ConstCounter::new(value).encode(metric)
}

/// One gauge with no labels.
pub fn gauge(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    value: f64,
) -> Result {
    let metric = encoder.encode_descriptor(name, help, unit, MetricType::Gauge)?;
    ConstGauge::new(value).encode(metric)
}

/// A histogram in seconds from cumulative bucket counts (`bounds[i]` holds `cumulative[i]`
/// observations at or under it; `count` is all of them).
pub fn histogram_seconds(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    bounds: &[f64],
    cumulative: &[u64],
    count: u64,
    sum: f64,
) -> Result {
    let mut metric =
        encoder.encode_descriptor(name, help, Some(&Unit::Seconds), MetricType::Histogram)?;
    // The encoder takes per-bucket counts and accumulates them itself.
    let mut buckets = Vec::with_capacity(bounds.len() + 1);
    let mut below = 0;
    for (bound, running) in bounds.iter().zip(cumulative) {
        buckets.push((*bound, running.saturating_sub(below)));
        below = *running;
    }
    buckets.push((f64::MAX, count.saturating_sub(below)));
    metric.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
}

/// The process: when it started and what version it runs.
#[derive(Debug)]
struct Process {
    started_unix_seconds: f64,
}

impl Collector for Process {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result {
        gauge(
            &mut encoder,
            "chittyid_process_start_time",
            "When this process started, Unix time.",
            Some(&Unit::Seconds),
            self.started_unix_seconds,
        )?;
        gauges_by(
            &mut encoder,
            "chittyid_build_info",
            "Always 1; the version in a label.",
            "version",
            &[(env!("CARGO_PKG_VERSION"), 1.0)],
        )
    }
}

pub(super) fn register_process(registry: &mut Registry) {
    let started_unix_seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    registry.register_collector(Box::new(Process {
        started_unix_seconds,
    }));
}
