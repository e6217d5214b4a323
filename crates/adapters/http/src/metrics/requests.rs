//! Every answer, by route template (never the raw path: an ID in a path must not make a
//! series), method and status, and how long it took.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Upper bounds of the request-duration buckets, seconds: 250 µs to 10 s.
pub const REQUEST_DURATION_BUCKETS: [f64; 14] = [
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

fn duration_histogram() -> Histogram {
    Histogram::new(REQUEST_DURATION_BUCKETS)
}

#[derive(Debug, Clone)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl HttpMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        registry.register(
            "chittyid_http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "chittyid_http_request_duration",
            "Time from a request's headers to its answer, by method and route template",
            Unit::Seconds,
            durations.clone(),
        );
        Self {
            requests,
            durations,
        }
    }

    fn record(&self, method: &str, route: &str, status: u16, started: Instant) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.durations
            .get_or_create(&RouteLabels {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(started.elapsed().as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }
}

/// The layer's function: the route is the matched template, `unmatched` for a 404.
pub(crate) async fn record_request(
    State(metrics): State<HttpMetrics>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    // Only the methods the servers know, so a client cannot make series with made-up ones.
    let method = match request.method().as_str() {
        known @ ("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS") => known,
        _ => "other",
    }
    .to_owned();
    let response = next.run(request).await;
    metrics.record(&method, &route, response.status().as_u16(), started);
    response
}
