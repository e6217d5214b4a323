//! Logging and tracing through `tracing`.
//!
//! Logs: readable text or JSON lines (`--log-format`), on stderr, filtered by `RUST_LOG`
//! (default: `info`, with the access log off). Each line inside a request carries the request's
//! id. No ANSI colour codes unless stderr is a terminal. The access log is its own target,
//! `chittyid::access`: `RUST_LOG=info,chittyid::access=info` turns it on. Secrets are never
//! passed to a log call.
//!
//! Traces: when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set,
//! spans go to it over OTLP/HTTP with protobuf: the request, the breaker's decision (an event),
//! each attempt at the authority, the audit and ledger commits. W3C `traceparent` carries the
//! trace from the gateway to the authority. Nothing is exported when neither is set.

use std::io::IsTerminal;

use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields`, and `span` (the
    /// request's fields).
    Json,
}

/// The filter when `RUST_LOG` is unset: the access log writes a line per request, which a busy
/// server should not pay for unless asked.
pub const DEFAULT_FILTER: &str = "info,chittyid::access=off";

/// Keeps the trace exporter: [`Telemetry::shutdown`] sends what is still queued.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn exports_traces(&self) -> bool {
        self.provider.is_some()
    }

    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(err) = provider.shutdown()
        {
            tracing::warn!(error = %err, "the last spans could not be exported");
        }
    }
}

fn otlp_configured() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()))
}

/// Sets up logging, and tracing when OTLP is configured. Call it inside the tokio runtime: the
/// exporter runs on it. `service` names the process in the traces (`OTEL_SERVICE_NAME` wins).
pub fn init(format: LogFormat, service: &'static str) -> anyhow::Result<Telemetry> {
    // An empty RUST_LOG counts as unset (a shell's `RUST_LOG= cmd` would otherwise log nothing).
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .and_then(|value| EnvFilter::try_new(value).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    let ansi = std::io::stderr().is_terminal();
    let logs = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .boxed(),
    }
    .with_filter(filter);
    let (traces, provider) = if otlp_configured() {
        let provider = tracer_provider(service)?;
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        // The inner spans (breaker, attempts, commits) are at DEBUG: made only for the traces,
        // never for the log unless RUST_LOG asks.
        let layer = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("chittyid"))
            .with_filter(
                Targets::new()
                    .with_default(LevelFilter::INFO)
                    .with_target("chittyid", LevelFilter::DEBUG)
                    .with_target("chittyid::access", LevelFilter::OFF),
            );
        (Some(layer), Some(provider))
    } else {
        (None, None)
    };
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init();
    Ok(Telemetry { provider })
}

fn tracer_provider(service: &'static str) -> anyhow::Result<SdkTracerProvider> {
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()
        .context("setting up the OTLP trace exporter")?;
    // The batch processor on the tokio runtime: the exporter's HTTP client is asynchronous.
    let processor =
        opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
            exporter,
            opentelemetry_sdk::runtime::Tokio,
        )
        .build();
    let mut resource = opentelemetry_sdk::Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(service);
    }
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource.build())
        .build())
}
