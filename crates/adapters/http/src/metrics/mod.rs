//! One Prometheus registry per process (prometheus-client): the HTTP requests every route
//! answers, recorded by a layer, and what each server registers beside them (collectors that
//! read the service's own counters at scrape time). `/metrics` answers in the Prometheus text
//! format, or in OpenMetrics when the scraper asks for it.

mod authority;
mod collect;
mod exposition;
mod gateway;
mod requests;

pub use authority::{
    AuthorityCollector, FULLEST_SPACES_EXPORTED, MintCounters, StoreWrites, StoreWritesSource,
};
pub use collect::{counter, counters_by, gauge, gauges_by, histogram_seconds};
pub use gateway::{GatewayCollector, GatewayState};
pub(crate) use requests::Observed;
pub use requests::{HttpMetrics, REQUEST_DURATION_BUCKETS};

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, header};
use http_body_util::Full;
use prometheus_client::collector::Collector;
use prometheus_client::registry::Registry;

/// A process's metrics: the registry and the HTTP request families in it.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    http: HttpMetrics,
}

/// What a server adds to its registry before serving.
#[derive(Debug)]
pub struct MetricsBuilder {
    registry: Registry,
    http: HttpMetrics,
}

impl MetricsBuilder {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let http = HttpMetrics::register(&mut registry);
        collect::register_process(&mut registry);
        Self { registry, http }
    }

    pub fn collector(mut self, collector: impl Collector) -> Self {
        self.registry.register_collector(Box::new(collector));
        self
    }

    pub fn build(self) -> Metrics {
        Metrics {
            registry: Arc::new(self.registry),
            http: self.http,
        }
    }
}

impl Default for MetricsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn http(&self) -> &HttpMetrics {
        &self.http
    }

    /// The registry as OpenMetrics text.
    pub fn openmetrics(&self) -> String {
        let mut text = String::with_capacity(8 * 1024);
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }

    /// The scrape answer: OpenMetrics when the `Accept` header asks for it, else the
    /// Prometheus text format (what `promtool check metrics` and plain `curl` read).
    pub fn answer(&self, request_headers: &HeaderMap) -> Response<Full<Bytes>> {
        let openmetrics = self.openmetrics();
        let wants_openmetrics = request_headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|accept| accept.contains("application/openmetrics-text"));
        let (body, content_type) = if wants_openmetrics {
            (openmetrics, exposition::OPENMETRICS_CONTENT_TYPE)
        } else {
            (
                exposition::to_prometheus_text(&openmetrics),
                exposition::PROMETHEUS_CONTENT_TYPE,
            )
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    }
}
