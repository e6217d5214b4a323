//! Logging through tracing: readable text or JSON lines (`--log-format`), on stderr, filtered by
//! `RUST_LOG` (default: `info`, with the access log off). Each line inside a request carries
//! the request's span (method, path, request id). No ANSI colour codes unless stderr is a
//! terminal. The access log is its own target, `chittyid::access`, one line per answer:
//! `RUST_LOG=info,chittyid::access=info` turns it on. Secrets are never passed to a log call.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields`, and `span` (the
    /// request's fields) and `spans`.
    Json,
}

/// The filter when `RUST_LOG` is unset: the access log writes a line per request, which a busy
/// server should not pay for unless asked.
pub const DEFAULT_FILTER: &str = "info,chittyid::access=off";

pub fn init(format: LogFormat) {
    // An empty RUST_LOG counts as unset (a shell's `RUST_LOG= cmd` would otherwise log nothing).
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .and_then(|value| EnvFilter::try_new(value).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
