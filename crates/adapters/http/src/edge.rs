//! What every request of both servers goes through, as tower layers on the axum router: an
//! `x-request-id` (kept when the client sent one, made otherwise, returned on the answer), a
//! trace span holding it (continuing the caller's trace when `traceparent` came), the answer
//! counted by route template, method and status with its latency, an access-log line when that
//! log is on, panic isolation (a logged JSON 500, never a dropped connection), `Connection:
//! close` when an answer leaves a request body unread, and JSON answers for unknown paths (404)
//! and methods (405). axum answers HEAD wherever GET is routed.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::error::ApiError;
use crate::metrics::HttpMetrics;

/// Request ids: a random per-process prefix and a counter (unique, cheap, not guessable across
/// restarts).
#[derive(Debug, Clone)]
struct NextRequestId {
    prefix: std::sync::Arc<str>,
    counter: std::sync::Arc<AtomicU64>,
}

impl NextRequestId {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id()).rotate_left(32);
        Self {
            prefix: format!("{seed:016x}").into(),
            counter: std::sync::Arc::new(AtomicU64::new(0)),
        }
    }
}

impl MakeRequestId for NextRequestId {
    fn make_request_id<B>(&mut self, _request: &http::Request<B>) -> Option<RequestId> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n:x}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// Wraps an API's routes with the layers above, and counts every answer in `metrics`.
pub fn layers(router: Router, metrics: HttpMetrics) -> Router {
    // One stack, applied with one `Router::layer`: axum boxes each layer it is given around
    // every route, and a box is cloned per request, so five layers given one by one cost five
    // clones and five boxed futures per request.
    let stack = tower::ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(NextRequestId::new()))
        .layer(PropagateRequestIdLayer::x_request_id())
        // Error answers are logged where they are decided, once and at their own level; the
        // span's failure event would log every 5xx again at ERROR (a breaker refusing
        // thousands of calls a second would flood the log).
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(access_log)
                .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
        )
        .layer(CatchPanicLayer::custom(
            |panic: Box<dyn std::any::Any + Send>| {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %message, "handler panicked");
                ApiError::internal().into_response()
            },
        ))
        // Inside the routing, so that each answer is counted under its route template. One
        // middleware for the three per-answer jobs.
        .layer(axum::middleware::from_fn_with_state(metrics, per_answer));
    router
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(stack)
}

/// The span every line logged for a request carries: the request id (set by the layer outside
/// this one, so always present). Only the id: a span's fields are formatted when it is made,
/// for every request, and each one costs (method and path are in the access log's own line).
fn request_span<B>(request: &http::Request<B>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let span = tracing::info_span!("request", request_id);
    crate::trace_context::continue_trace(&span, request.headers());
    span
}

/// The access log: one line per answer, target `chittyid::access` (off unless the filter
/// enables it), inside the request's span. Its method and path are kept from the request by
/// `per_answer`, at no cost when the access log is off.
fn access_log<B>(
    response: &http::Response<B>,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    if !tracing::enabled!(target: "chittyid::access", tracing::Level::INFO) {
        return;
    }
    let line = response.extensions().get::<RequestLine>();
    tracing::info!(
        target: "chittyid::access",
        method = line.map_or("", |l| l.method.as_str()),
        path = line.map_or("", |l| l.path.as_str()),
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "answered"
    );
}

/// The method and path of the request an answer is for, for the access log.
#[derive(Debug, Clone)]
struct RequestLine {
    method: http::Method,
    path: String,
}

/// Per answer: counts it (route, method, status, latency), keeps its request line for the
/// access log when that is on, and closes a connection whose request body was left unread.
async fn per_answer(
    axum::extract::State(metrics): axum::extract::State<HttpMetrics>,
    request: Request,
    next: Next,
) -> Response {
    let observed = crate::metrics::Observed::of(&request);
    let line =
        tracing::enabled!(target: "chittyid::access", tracing::Level::INFO).then(|| RequestLine {
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
        });
    let has_body = !http_body::Body::is_end_stream(request.body());
    let mut response = next.run(request).await;
    metrics.record(observed, response.status().as_u16());
    if let Some(line) = line {
        response.extensions_mut().insert(line);
    }
    if has_body {
        close_when_body_left_unread(&mut response);
    }
    response
}

/// An answer refused before its body was read: the rest of the body is still on the wire, so
/// the connection cannot carry another request. Say so, and hyper closes it after the answer.
fn close_when_body_left_unread(response: &mut Response) {
    if matches!(
        response.status(),
        StatusCode::UNAUTHORIZED
            | StatusCode::REQUEST_TIMEOUT
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
    ) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
}
