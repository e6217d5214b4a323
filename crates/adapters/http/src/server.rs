//! The server loop: accepts connections within named limits (in all, per client address) and
//! serves an axum `Router` on each with hyper's HTTP/1.1, with deadlines on headers, bodies and
//! unread answers, and shuts down gracefully: stop accepting, let requests in flight finish
//! within a bound. What happens inside a request (routing, panics, request ids, tracing) is the
//! router's: see [`crate::edge`].
//!
//! A handler runs on its connection's task: if the client goes away mid-request, hyper drops
//! the handler. Work that must finish regardless (a mint whose result an idempotency key will
//! replay) is spawned by the handler itself.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use http::Request;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::connection::{ConnectionCount, WriteDeadline};
use crate::refusals::{REFUSAL_SUMMARY_EVERY, RefusalLog};

/// How long a client may take to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long requests in flight get to finish once shutdown starts.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What one server holds at most, and how long it waits on a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Sending a request's headers (also the idle time allowed between requests).
    pub header_read: Duration,
    /// Sending a request's body, from the end of its headers.
    pub body_read: Duration,
    /// An answer the client does not read: writing it may make no progress for this long.
    pub write_stall: Duration,
    /// Open connections in all; more are answered 503 and closed.
    pub max_connections: usize,
    /// Open connections from one client address; more are answered 503 and closed.
    pub max_connections_per_client: usize,
    /// How long requests in flight get to finish once shutdown starts.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read: HEADER_READ_TIMEOUT,
            body_read: Duration::from_secs(10),
            write_stall: Duration::from_secs(10),
            max_connections: 4_096,
            max_connections_per_client: 256,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// File descriptors kept back from client connections for everything else a server opens: its
/// stores (a SQLite file with its WAL and shared memory per pooled connection, PostgreSQL and
/// Redis connections), the pooled connections to the authority, log and trace exporters.
pub const RESERVED_FILE_DESCRIPTORS: u64 = 128;

impl ServerLimits {
    /// These limits within a process that may hold `open_files` file descriptors: the connection
    /// caps shrink so that a flood of connections is refused with `503 too_many_connections`
    /// rather than running the process out of descriptors (where every accept fails and the
    /// stores cannot open a file). [`RESERVED_FILE_DESCRIPTORS`] stay for the rest, or half the
    /// limit when it is smaller than twice that.
    #[must_use]
    pub fn within_file_limit(self, open_files: u64) -> Self {
        let reserved = RESERVED_FILE_DESCRIPTORS.min(open_files / 2);
        let available = usize::try_from(open_files - reserved).unwrap_or(usize::MAX);
        let max_connections = self.max_connections.min(available.max(1));
        Self {
            max_connections,
            max_connections_per_client: self.max_connections_per_client.min(max_connections),
            ..self
        }
    }
}

/// When a request's body must have arrived; put in each request's extensions for the body
/// readers.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub tokio::time::Instant);

/// Largest buffer hyper keeps per connection for reading and writing (its default is about
/// 400 KiB): bounds what a client that pipelines requests without reading answers can pin.
const MAX_CONNECTION_BUFFER: usize = 64 * 1024;

/// The answer to a connection over a cap, written without waiting, then the socket is closed.
const TOO_MANY_CONNECTIONS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 94\r\n\r\n\
{\"error\":{\"code\":\"too_many_connections\",\"message\":\"too many open connections; retry shortly\"}}";

/// Serves `router` on `listener` until `shutdown` resolves, then drains connections for at
/// most `limits.shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send,
    limits: ServerLimits,
) {
    let graceful = GracefulShutdown::new();
    let count = Arc::new(ConnectionCount::default());
    let mut refusals = RefusalLog::default();
    let mut summary = tokio::time::interval_at(
        tokio::time::Instant::now() + REFUSAL_SUMMARY_EVERY,
        REFUSAL_SUMMARY_EVERY,
    );
    summary.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        refusals.accept_failed(&err);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Some(admitted) = count.admit(
                    peer.ip(),
                    limits.max_connections,
                    limits.max_connections_per_client,
                ) else {
                    // Best effort, without waiting: the socket is closed right after.
                    let _ = stream.try_write(TOO_MANY_CONNECTIONS);
                    refusals.refused(peer.ip());
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let body_read = limits.body_read;
                let service = service_fn(move |mut request: Request<Incoming>| {
                    request
                        .extensions_mut()
                        .insert(BodyDeadline(tokio::time::Instant::now() + body_read));
                    router.clone().oneshot(request.map(axum::body::Body::new))
                });
                let io = TokioIo::new(WriteDeadline::new(stream, limits.write_stall));
                let connection = hyper::server::conn::http1::Builder::new()
                    // A client that sends headers slower than this is cut off (slowloris).
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_read)
                    .max_buf_size(MAX_CONNECTION_BUFFER)
                    .serve_connection(io, service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _admitted = admitted;
                    if let Err(err) = connection.await {
                        tracing::debug!(error = %err, "connection ended with an error");
                    }
                });
            }
            _ = summary.tick() => refusals.summarize(),
            () = &mut shutdown => break,
        }
    }
    refusals.summarize();
    drop(listener);
    let grace = limits.shutdown_grace;
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(grace) => tracing::warn!(?grace, "shutdown grace ran out; closing the remaining connections"),
    }
}

#[cfg(test)]
mod tests {
    use super::{RESERVED_FILE_DESCRIPTORS, ServerLimits};

    #[test]
    fn the_connection_caps_leave_room_for_the_stores_within_the_file_limit() {
        let limits = ServerLimits::default().within_file_limit(1_024);
        assert_eq!(
            limits.max_connections,
            1_024 - usize::try_from(RESERVED_FILE_DESCRIPTORS).expect("small")
        );
        assert_eq!(limits.max_connections_per_client, 256);
        let roomy = ServerLimits::default().within_file_limit(1 << 20);
        assert_eq!(roomy, ServerLimits::default());
        let tight = ServerLimits::default().within_file_limit(100);
        assert_eq!(tight.max_connections, 50);
        assert_eq!(tight.max_connections_per_client, 50);
    }

    #[test]
    fn the_canned_refusal_declares_its_real_length() {
        let text = std::str::from_utf8(super::TOO_MANY_CONNECTIONS).expect("ASCII");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        assert!(serde_json::from_str::<serde_json::Value>(body).is_ok());
    }
}
