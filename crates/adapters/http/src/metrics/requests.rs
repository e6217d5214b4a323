//! Every answer, by route template (never the raw path: an ID in a path must not make a
//! series), method and status, and how long it took.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Upper bounds of the request-duration buckets, seconds: 250 µs to 10 s.
pub const REQUEST_DURATION_BUCKETS: [f64; 14] = [
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

// Labels hold a static method name and the route template's shared string (a MatchedPath is
// an `Arc<str>`): counting an answer allocates nothing once its series exists.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: Route,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: Route,
}

/// A route template, or `unmatched` (no route: a 404).
#[derive(Debug, Clone)]
struct Route(Option<MatchedPath>);

impl Route {
    fn as_str(&self) -> &str {
        self.0.as_ref().map_or("unmatched", MatchedPath::as_str)
    }
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Route {}

impl std::hash::Hash for Route {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        std::fmt::Write::write_str(encoder, self.as_str())
    }
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

    /// Counts an answer to the request `observed` was taken from.
    pub(crate) fn record(&self, observed: Observed, status: u16) {
        let Observed {
            method,
            route,
            started,
        } = observed;
        self.durations
            .get_or_create(&RouteLabels {
                method,
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

/// What is kept of a request to count its answer: the method, the route template, the start.
#[derive(Debug)]
pub(crate) struct Observed {
    method: &'static str,
    route: Route,
    started: Instant,
}

impl Observed {
    pub(crate) fn of(request: &Request) -> Self {
        // Only the methods the servers know, so a client cannot make series with made-up ones.
        let method = match *request.method() {
            http::Method::GET => "GET",
            http::Method::HEAD => "HEAD",
            http::Method::POST => "POST",
            http::Method::PUT => "PUT",
            http::Method::DELETE => "DELETE",
            http::Method::PATCH => "PATCH",
            http::Method::OPTIONS => "OPTIONS",
            _ => "other",
        };
        Self {
            method,
            route: Route(request.extensions().get::<MatchedPath>().cloned()),
            started: Instant::now(),
        }
    }
}
