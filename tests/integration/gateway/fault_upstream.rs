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
    /// Mints (and keeps the ID under the request's key), then never answers; a repeat with the
    /// same key is answered at once with the kept ID when keys are honoured.
    MintThenHang,
}

pub(crate) struct FaultUpstream {
    pub(crate) address: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    /// Whether `/health` says `"idempotencyKeys": true` and mints honour `Idempotency-Key`.
    honour_keys: Arc<std::sync::atomic::AtomicBool>,
    /// IDs minted under each key.
    kept: Arc<Mutex<std::collections::HashMap<String, String>>>,
    /// The `x-request-id` of every mint and validate call.
    request_ids: Arc<Mutex<Vec<String>>>,
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
        let honour_keys = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let kept: Arc<Mutex<std::collections::HashMap<String, String>>> = Arc::default();
        let (task_mode, task_calls) = (Arc::clone(&mode), Arc::clone(&calls));
        let (task_honour, task_kept) = (Arc::clone(&honour_keys), Arc::clone(&kept));
        let request_ids: Arc<Mutex<Vec<String>>> = Arc::default();
        let task_request_ids = Arc::clone(&request_ids);
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
                let (honour, kept) = (Arc::clone(&task_honour), Arc::clone(&task_kept));
                let request_ids = Arc::clone(&task_request_ids);
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let (mode, calls, sequence) =
                            (Arc::clone(&mode), Arc::clone(&calls), Arc::clone(&sequence));
                        let (honour, kept) = (Arc::clone(&honour), Arc::clone(&kept));
                        let request_ids = Arc::clone(&request_ids);
                        async move {
                            if let Some(id) = request
                                .headers()
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                && !request.uri().path().ends_with("/health")
                            {
                                request_ids.lock().expect("ids").push(id.to_owned());
                            }
                            let path = request.uri().path().to_owned();
                            let key = request
                                .headers()
                                .get("idempotency-key")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned);
                            let honouring = honour.load(Ordering::SeqCst);
                            let _ = request.into_body().collect().await;
                            let current = *mode.lock().expect("mode");
                            if path.ends_with("/health") {
                                let healthy = if honouring {
                                    r#"{"idempotencyKeys":true}"#
                                } else {
                                    "{}"
                                };
                                return Ok::<_, Infallible>(match current {
                                    Mode::Healthy
                                    | Mode::Slow(_)
                                    | Mode::GarbageJson
                                    | Mode::MalformedId
                                    | Mode::DuplicateBatch
                                    | Mode::MintThenHang => answer(StatusCode::OK, healthy),
                                    _ => answer(StatusCode::SERVICE_UNAVAILABLE, "{}"),
                                });
                            }
                            if path.contains("/validate/") {
                                return Ok(answer(StatusCode::OK, r#"{"valid":false}"#));
                            }
                            calls.fetch_add(1, Ordering::SeqCst);
                            let kept_id = key
                                .as_ref()
                                .filter(|_| honouring)
                                .and_then(|key| kept.lock().expect("kept").get(key).cloned());
                            if let Some(id) = kept_id {
                                return Ok(answer(
                                    StatusCode::OK,
                                    &format!(r#"{{"chitty_id":"{id}"}}"#),
                                ));
                            }
                            Ok(match current {
                                Mode::Healthy if path.ends_with("/mint") => {
                                    let id = next_id(&sequence);
                                    if let Some(key) = key {
                                        kept.lock().expect("kept").insert(key, id.clone());
                                    }
                                    answer(StatusCode::OK, &format!(r#"{{"chitty_id":"{id}"}}"#))
                                }
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
                                    let id = next_id(&sequence);
                                    answer(
                                        StatusCode::OK,
                                        &format!(r#"{{"chittyIds":["{id}","{id}"]}}"#),
                                    )
                                }
                                Mode::MintThenHang => {
                                    let id = next_id(&sequence);
                                    if let Some(key) = key {
                                        kept.lock().expect("kept").insert(key, id);
                                    }
                                    tokio::time::sleep(Duration::from_secs(3_600)).await;
                                    answer(StatusCode::OK, "{}")
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
            honour_keys,
            kept,
            request_ids,
            calls,
            task,
        }
    }

    /// Makes the authority honour `Idempotency-Key` and say so in its health answer.
    pub(crate) fn honour_keys(&self) {
        self.honour_keys.store(true, Ordering::SeqCst);
    }

    /// The ID minted under `key`, if any.
    pub(crate) fn kept(&self, key: &str) -> Option<String> {
        self.kept.lock().expect("kept").get(key).cloned()
    }

    /// The request ids the calls carried (health checks aside).
    pub(crate) fn request_ids(&self) -> Vec<String> {
        self.request_ids.lock().expect("ids").clone()
    }

    /// Every key a mint was sent with.
    pub(crate) fn keys(&self) -> Vec<String> {
        self.kept.lock().expect("kept").keys().cloned().collect()
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

/// The next ID of the scripted authority's one space (persons, region 9, TST, 2611, L0).
fn next_id(sequence: &AtomicU32) -> String {
    let space = SequenceSpace {
        version: Version::CURRENT,
        region: Region::Digital,
        jurisdiction: Jurisdiction::try_new("TST").expect("valid"),
        entity_type: EntityType::Person,
        year_month: YearMonth::try_new(2026, 11).expect("valid"),
        trust_level: TrustLevel::L0,
    };
    let counter = sequence.fetch_add(1, Ordering::SeqCst) % 10_000;
    space
        .id(Sequence::try_new(counter).expect("in range"))
        .to_string()
}

fn healthy(path: &str, sequence: &AtomicU32) -> Response<Full<Bytes>> {
    if path.ends_with("/mint") {
        answer(
            StatusCode::OK,
            &format!(r#"{{"chitty_id":"{}"}}"#, next_id(sequence)),
        )
    } else if path.ends_with("/mint/batch") {
        answer(
            StatusCode::OK,
            &format!(r#"{{"chittyIds":["{}"]}}"#, next_id(sequence)),
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
