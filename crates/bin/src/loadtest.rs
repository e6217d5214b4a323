//! `chittyid loadtest`: the rollout checklist's staging check as a command. Sends N generate or
//! validate requests with C in flight to one or more gateways (round robin), then reports
//! successes, errors by code, latency percentiles and throughput, and whether the thresholds
//! held.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chittyid_domain::{
    EntityType, Jurisdiction, Region, Sequence, SequenceSpace, TrustLevel, Version, YearMonth,
};
use http::{Method, Request, header};
use http_body_util::{BodyExt, Full, Limited};
use serde::Serialize;

/// What the load test sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `POST /api/id/generate`, entities in turn.
    Generate,
    /// `GET /api/id/validate/{id}` with well-formed IDs made here (`?verify=true` with
    /// `verify`).
    Validate,
}

#[derive(Debug, Clone)]
pub struct LoadTestConfig {
    /// Gateway base URLs (`http://host:port`); requests go to them in turn.
    pub urls: Vec<String>,
    pub key: String,
    pub requests: u64,
    pub concurrency: usize,
    pub mode: Mode,
    pub verify: bool,
    /// Each request's limit; one that runs over counts as a `timeout` error.
    pub timeout: Duration,
}

/// One request's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub latency: Duration,
    /// The answer's status; `None` when there was no answer (timeout, connection failure).
    pub status: Option<u16>,
    /// `None` for a success, else the error code.
    pub error: Option<String>,
    /// The ID a successful generate returned.
    pub id: Option<String>,
}

/// When the run passes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Successes over requests, 0 to 1.
    pub min_success_rate: f64,
    pub max_p95: Duration,
}

/// What a run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub mode: Mode,
    pub requests: u64,
    pub successes: u64,
    /// Failed requests by error code: the answer's `error.code`, `http_<status>` for an answer
    /// without one, `timeout` or `connection_failed`.
    pub errors: BTreeMap<String, u64>,
    /// Answers by HTTP status (`"none"` for requests that got no answer).
    pub statuses: BTreeMap<String, u64>,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub seconds: f64,
    pub requests_per_second: f64,
}

impl Report {
    pub fn from_samples(mode: Mode, samples: &mut [Sample], elapsed: Duration) -> Self {
        samples.sort_by_key(|sample| sample.latency);
        let mut errors = BTreeMap::new();
        let mut statuses = BTreeMap::new();
        for sample in samples.iter() {
            if let Some(code) = &sample.error {
                *errors.entry(code.clone()).or_insert(0) += 1;
            }
            let status = sample
                .status
                .map_or_else(|| "none".to_owned(), |s| s.to_string());
            *statuses.entry(status).or_insert(0) += 1;
        }
        let requests = samples.len() as u64;
        let failed: u64 = errors.values().sum();
        let seconds = elapsed.as_secs_f64();
        Self {
            mode,
            requests,
            successes: requests - failed,
            errors,
            statuses,
            p50_ms: percentile_ms(samples, 0.50),
            p95_ms: percentile_ms(samples, 0.95),
            p99_ms: percentile_ms(samples, 0.99),
            seconds,
            requests_per_second: if seconds > 0.0 {
                requests as f64 / seconds
            } else {
                0.0
            },
        }
    }

    /// Answers with a 5xx status.
    pub fn server_errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| status.starts_with('5'))
            .map(|(_, count)| count)
            .sum()
    }

    pub fn success_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.successes as f64 / self.requests as f64
        }
    }

    /// The thresholds this run missed, each as a sentence; empty when it passed.
    pub fn missed(&self, thresholds: Thresholds) -> Vec<String> {
        let mut missed = Vec::new();
        if self.success_rate() < thresholds.min_success_rate {
            missed.push(format!(
                "success rate {:.2} % is under {:.2} %",
                self.success_rate() * 100.0,
                thresholds.min_success_rate * 100.0
            ));
        }
        let max_p95_ms = thresholds.max_p95.as_secs_f64() * 1000.0;
        if self.p95_ms > max_p95_ms {
            missed.push(format!(
                "p95 {:.1} ms is over {max_p95_ms:.1} ms",
                self.p95_ms
            ));
        }
        missed
    }
}

/// The nearest-rank percentile of sorted latencies, in milliseconds.
fn percentile_ms(sorted: &[Sample], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 * quantile).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].latency.as_secs_f64() * 1000.0
}

const ENTITIES: [&str; 5] = ["PEO", "PLACE", "PROP", "EVNT", "AUTH"];

/// A well-formed ID for the `n`th validation.
fn id_for(n: u64) -> String {
    let space = SequenceSpace {
        version: Version::CURRENT,
        region: Region::NorthAmerica,
        jurisdiction: Jurisdiction::try_new("USA").expect("a valid code"),
        entity_type: EntityType::Person,
        year_month: YearMonth::try_new(2026, 11).expect("a valid month"),
        trust_level: TrustLevel::L0,
    };
    let sequence = Sequence::try_new((n % 10_000) as u32).expect("in range");
    space.id(sequence).as_str().to_owned()
}

/// Runs the load; `progress` is called with the number of requests done after each one. Gives
/// the report and the IDs the generates returned.
pub async fn run(
    config: LoadTestConfig,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> anyhow::Result<(Report, Vec<String>)> {
    anyhow::ensure!(!config.urls.is_empty(), "no URL to load");
    anyhow::ensure!(config.concurrency > 0, "--concurrency must be at least 1");
    let urls: Vec<String> = config
        .urls
        .iter()
        .map(|url| url.trim_end_matches('/').to_owned())
        .collect();
    for url in &urls {
        let uri: http::Uri = url
            .parse()
            .map_err(|_| anyhow::anyhow!("{url:?} is not a URL"))?;
        anyhow::ensure!(
            matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some(),
            "{url:?} is not an http(s) URL"
        );
    }
    // Made once: each request clones it (a reference count), and a key no header can carry is
    // a usage error, not a thousand refused requests.
    let mut authorization = http::HeaderValue::from_str(&format!("Bearer {}", config.key))
        .map_err(|_| anyhow::anyhow!("--key holds characters an HTTP header cannot carry"))?;
    authorization.set_sensitive(true);
    let client = chittyid_upstream::http_client(None)?;
    let shared = Arc::new(Shared {
        client,
        urls,
        authorization,
        next: AtomicU64::new(0),
        done: AtomicU64::new(0),
        config: config.clone(),
    });
    let progress = Arc::new(progress);
    let started = Instant::now();
    let workers: Vec<_> = (0..config.concurrency)
        .map(|_| {
            let shared = Arc::clone(&shared);
            let progress = Arc::clone(&progress);
            tokio::spawn(async move { shared.work(&*progress).await })
        })
        .collect();
    let mut samples = Vec::with_capacity(usize::try_from(config.requests).unwrap_or(0));
    for worker in workers {
        samples.extend(worker.await?);
    }
    let elapsed = started.elapsed();
    let ids = samples.iter_mut().filter_map(|s| s.id.take()).collect();
    Ok((
        Report::from_samples(config.mode, &mut samples, elapsed),
        ids,
    ))
}

struct Shared {
    client: chittyid_upstream::HttpClient,
    urls: Vec<String>,
    authorization: http::HeaderValue,
    next: AtomicU64,
    done: AtomicU64,
    config: LoadTestConfig,
}

impl Shared {
    async fn work(&self, progress: &(impl Fn(u64) + Send + Sync)) -> Vec<Sample> {
        let mut samples = Vec::new();
        loop {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            if n >= self.config.requests {
                return samples;
            }
            let started = Instant::now();
            let (status, error, id) = tokio::time::timeout(self.config.timeout, self.one(n))
                .await
                .unwrap_or_else(|_| (None, Some("timeout".to_owned()), None));
            samples.push(Sample {
                latency: started.elapsed(),
                status,
                error,
                id,
            });
            progress(self.done.fetch_add(1, Ordering::Relaxed) + 1);
        }
    }

    /// One request: its status, its error code (none for a success), and the ID a generate
    /// returned.
    async fn one(&self, n: u64) -> (Option<u16>, Option<String>, Option<String>) {
        let base = &self.urls[(n % self.urls.len() as u64) as usize];
        let request = match self.config.mode {
            Mode::Generate => {
                let entity = ENTITIES[(n % ENTITIES.len() as u64) as usize];
                Request::builder()
                    .method(Method::POST)
                    .uri(format!("{base}/api/id/generate"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::from(format!(
                        "{{\"entity\":\"{entity}\"}}"
                    ))))
            }
            Mode::Validate => {
                let query = if self.config.verify {
                    "?verify=true"
                } else {
                    ""
                };
                Request::builder()
                    .method(Method::GET)
                    .uri(format!("{base}/api/id/validate/{}{query}", id_for(n)))
                    .body(Full::new(Bytes::new()))
            }
        };
        let mut request = request.expect("a well-formed request");
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, self.authorization.clone());
        let response = match self.client.request(request).await {
            Ok(response) => response,
            Err(_) => return (None, Some("connection_failed".to_owned()), None),
        };
        let status = response.status();
        let body = Limited::new(response.into_body(), 64 * 1024)
            .collect()
            .await
            .map(|body| body.to_bytes())
            .unwrap_or_default();
        let value = serde_json::from_slice::<serde_json::Value>(&body).ok();
        if status.is_success() {
            let id = value.and_then(|v| v["chittyId"].as_str().map(str::to_owned));
            return (Some(status.as_u16()), None, id);
        }
        let code = value.and_then(|v| v["error"]["code"].as_str().map(str::to_owned));
        let code = code.unwrap_or_else(|| format!("http_{}", status.as_u16()));
        (Some(status.as_u16()), Some(code), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn ok(latency: Duration) -> Sample {
        Sample {
            latency,
            status: Some(200),
            error: None,
            id: None,
        }
    }

    fn failed(sample: &mut Sample, status: Option<u16>, code: &str) {
        sample.status = status;
        sample.error = Some(code.to_owned());
    }

    #[test]
    fn a_report_counts_errors_by_code_and_status_and_takes_nearest_rank_percentiles() {
        let mut samples: Vec<Sample> = (1..=100).map(|n| ok(ms(n))).collect();
        failed(&mut samples[10], Some(429), "rate_limited");
        failed(&mut samples[20], Some(429), "rate_limited");
        failed(&mut samples[30], None, "timeout");
        failed(&mut samples[40], Some(503), "circuit_open");
        let report = Report::from_samples(Mode::Generate, &mut samples, Duration::from_secs(2));
        assert_eq!((report.requests, report.successes), (100, 96));
        assert_eq!(report.errors["rate_limited"], 2);
        assert_eq!(report.errors["timeout"], 1);
        assert_eq!(
            (
                report.statuses["200"],
                report.statuses["429"],
                report.statuses["none"]
            ),
            (96, 2, 1)
        );
        assert_eq!(report.server_errors(), 1);
        assert_eq!(
            (report.p50_ms, report.p95_ms, report.p99_ms),
            (50.0, 95.0, 99.0)
        );
        assert_eq!(report.requests_per_second, 50.0);
    }

    #[test]
    fn thresholds_name_what_was_missed() {
        let mut samples: Vec<Sample> = (1..=20).map(|n| ok(ms(n * 50))).collect();
        failed(&mut samples[0], Some(503), "circuit_open");
        let report = Report::from_samples(Mode::Generate, &mut samples, Duration::from_secs(1));
        let strict = Thresholds {
            min_success_rate: 1.0,
            max_p95: ms(500),
        };
        let missed = report.missed(strict);
        assert_eq!(missed.len(), 2, "{missed:?}");
        assert!(
            missed[0].contains("95.00 %") && missed[1].contains("950.0 ms"),
            "{missed:?}"
        );
        let lenient = Thresholds {
            min_success_rate: 0.9,
            max_p95: ms(1_000),
        };
        assert!(report.missed(lenient).is_empty());
    }

    #[test]
    fn the_ids_validated_are_well_formed() {
        for n in [0, 1, 9_999, 10_000, 123_456] {
            let id = id_for(n);
            assert!(chittyid_domain::ChittyId::parse(&id).is_ok(), "{id}");
        }
    }
}
