//! W3C trace context on the way in: a request that carries `traceparent` has its span made a
//! child of the caller's, so that a trace crosses the hop (the gateway's client sends it to the
//! authority). Does nothing unless OpenTelemetry is set up (`OTEL_EXPORTER_OTLP_ENDPOINT`).

use opentelemetry::propagation::Extractor;
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

pub(crate) fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    // Most requests carry no trace: skip the propagator's work for them.
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(headers))
    });
    // Fails only when no OpenTelemetry layer is installed, which is not an error.
    let _ = span.set_parent(parent);
}
