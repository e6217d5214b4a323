//! A scriptable authority on a real socket: healthy, or failing in each way an upstream can.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chittyid_domain::{
    EntityType, Jurisdiction, Region, Sequence, SequenceSpace, TrustLevel, Version, YearMonth,
};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Healthy,
    /// Never answers.
    Hang,
    Slow(Duration),
    Status(u16),
    /// 503 or 429 with `Retry-After` seconds.
    RetryAfter(u16, u64),
    GarbageJson,
    MalformedId,
    /// A batch answer that repeats one ID.
    DuplicateBatch,
}

pub(crate) struct FaultUpstream {
    pub(crate) address: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    /// Requests to anything but /health.
    calls: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

impl FaultUpstream {
    pub(crate) async fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let mode = Arc::new(Mutex::new(mode));
        let calls = Arc::new(AtomicU64::new(0));
        let sequence = Arc::new(AtomicU32::new(0));
        let (task_mode, task_calls) = (Arc::clone(&mode), Arc::clone(&calls));
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (mode, calls, sequence) = (
                    Arc::clone(&task_mode),
                    Arc::clone(&task_calls),
                    Arc::clone(&sequence),
                );
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let (mode, calls, sequence) =
                            (Arc::clone(&mode), Arc::clone(&calls), Arc::clone(&sequence));
                        async move {
                            let path = request.uri().path().to_owned();
                            let _ = request.into_body().collect().await;
                            let current = *mode.lock().expect("mode");
                            if path.ends_with("/health") {
                                return Ok::<_, Infallible>(match current {
                                    Mode::Healthy
                                    | Mode::Slow(_)
                                    | Mode::GarbageJson
                                    | Mode::MalformedId
                                    | Mode::DuplicateBatch => answer(StatusCode::OK, "{}"),
                                    _ => answer(StatusCode::SERVICE_UNAVAILABLE, "{}"),
                                });
                            }
                            calls.fetch_add(1, Ordering::SeqCst);
                            Ok(match current {
                                Mode::Healthy => healthy(&path, &sequence),
                                Mode::Hang => {
                                    tokio::time::sleep(Duration::from_secs(3_600)).await;
                                    answer(StatusCode::OK, "{}")
                                }
                                Mode::Slow(delay) => {
                                    tokio::time::sleep(delay).await;
                                    healthy(&path, &sequence)
                                }
                                Mode::Status(status) => answer(
                                    StatusCode::from_u16(status).expect("status"),
                                    r#"{"error":{"code":"scripted","message":"scripted failure"}}"#,
                                ),
                                Mode::RetryAfter(status, seconds) => {
                                    let mut response =
                                        answer(StatusCode::from_u16(status).expect("status"), "{}");
                                    response.headers_mut().insert(
                                        http::header::RETRY_AFTER,
                                        http::HeaderValue::from(seconds),
                                    );
                                    response
                                }
                                Mode::DuplicateBatch => {
                                    let one = healthy("/mint", &sequence);
                                    let body = one.into_body().collect().await.expect("body");
                                    let value: serde_json::Value =
                                        serde_json::from_slice(&body.to_bytes()).expect("JSON");
                                    let id = value["chitty_id"].as_str().expect("ID").to_owned();
                                    answer(
                                        StatusCode::OK,
                                        &format!(r#"{{"chittyIds":["{id}","{id}"]}}"#),
                                    )
                                }
                                Mode::GarbageJson => answer(StatusCode::OK, "{\"chittyId\": 03-1-"),
                                Mode::MalformedId => answer(
                                    StatusCode::OK,
                                    r#"{"chittyId":"CT-A-CHI-1234-I-24-A-0"}"#,
                                ),
                            })
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            address,
            mode,
            calls,
            task,
        }
    }

    pub(crate) fn set(&self, mode: Mode) {
        *self.mode.lock().expect("mode") = mode;
    }

    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }
}

fn healthy(path: &str, sequence: &AtomicU32) -> Response<Full<Bytes>> {
    let space = SequenceSpace {
        version: Version::CURRENT,
        region: Region::Digital,
        jurisdiction: Jurisdiction::try_new("TST").expect("valid"),
        entity_type: EntityType::Person,
        year_month: YearMonth::try_new(2026, 11).expect("valid"),
        trust_level: TrustLevel::L0,
    };
    let next = || {
        space.id(
            Sequence::try_new(sequence.fetch_add(1, Ordering::SeqCst) % 10_000).expect("in range"),
        )
    };
    if path.ends_with("/mint") {
        answer(StatusCode::OK, &format!(r#"{{"chitty_id":"{}"}}"#, next()))
    } else if path.ends_with("/mint/batch") {
        answer(
            StatusCode::OK,
            &format!(r#"{{"chittyIds":["{}"]}}"#, next()),
        )
    } else {
        answer(StatusCode::OK, r#"{"valid":true}"#)
    }
}

/// An address where nothing listens: connections are refused.
pub(crate) async fn refusing_address() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("address")
}
