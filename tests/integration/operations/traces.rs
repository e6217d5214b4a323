//! OpenTelemetry across the hop: a real gateway and a real authority, both exporting OTLP over
//! HTTP/protobuf to a receiver on a loopback port run by this test. One generate makes one
//! trace holding both servers' spans: the gateway's request (with the breaker's decision), its
//! attempt at the authority and its audit commit, and the authority's request (a child of that
//! attempt, through `traceparent`) with its ledger commit.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;
use serde_json::json;

use crate::helpers::{Running, free_port, wait_for};
use crate::http_client::HttpClient;

#[derive(Debug, Clone)]
struct Received {
    service: String,
    trace: Vec<u8>,
    span: Vec<u8>,
    parent: Vec<u8>,
    name: String,
    events: Vec<String>,
}

/// An OTLP/HTTP receiver: decodes each `POST /v1/traces` and keeps its spans.
async fn receiver() -> (SocketAddr, Arc<Mutex<Vec<Received>>>) {
    receiver_on("127.0.0.1:0").await
}

/// An OTLP/HTTP receiver on `address`.
async fn receiver_on(address: &str) -> (SocketAddr, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .unwrap_or_else(|err| panic!("{address} must be free for this test: {err}"));
    let address = listener.local_addr().expect("address");
    let spans = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&spans);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let kept = Arc::clone(&kept);
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let kept = Arc::clone(&kept);
                    async move {
                        let path = request.uri().path().to_owned();
                        let body = request.into_body().collect().await?.to_bytes();
                        if path == "/v1/traces" {
                            let export = ExportTraceServiceRequest::decode(body)
                                .expect("an OTLP protobuf export");
                            kept.lock().expect("lock").extend(flatten(export));
                        }
                        Ok::<_, hyper::Error>(hyper::Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (address, spans)
}

fn flatten(export: ExportTraceServiceRequest) -> Vec<Received> {
    let mut spans = Vec::new();
    for resource in export.resource_spans {
        let service = resource
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| kv.value.as_ref()?.value.as_ref())
            .map(|value| match value {
                AnyValue::StringValue(name) => name.clone(),
                other => format!("{other:?}"),
            })
            .unwrap_or_default();
        for scope in resource.scope_spans {
            for span in scope.spans {
                spans.push(Received {
                    service: service.clone(),
                    trace: span.trace_id,
                    span: span.span_id,
                    parent: span.parent_span_id,
                    name: span.name,
                    events: span.events.into_iter().map(|e| e.name).collect(),
                });
            }
        }
    }
    spans
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn spawn(args: &[&str], env: &[(&str, String)], dir: &std::path::Path) -> Running {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chittyid"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("OTEL_SERVICE_NAME")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    Running(command.spawn().expect("starts"))
}

#[tokio::test]
async fn one_generate_makes_one_trace_across_gateway_and_authority() {
    let (collector, spans) = receiver().await;
    let otel = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector}")),
        ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let (authority_port, gateway_port) = (free_port(), free_port());
    let token = "traces-test-token";
    let mut env = otel.to_vec();
    env.push(("CHITTYID_AUTHORITY_TOKENS", token.to_owned()));
    let _authority = spawn(
        &["authority", "--listen", &authority_port.to_string()],
        &env,
        &dir.path().join("authority"),
    );
    let authority = HttpClient::new(
        format!("127.0.0.1:{authority_port}")
            .parse()
            .expect("address"),
    );
    wait_for(&authority, "/v1/health").await;
    let mut env = otel.to_vec();
    env.extend([
        (
            "CHITTYID_SERVICE_URL",
            format!("http://127.0.0.1:{authority_port}"),
        ),
        ("CHITTY_ID_TOKEN", token.to_owned()),
        ("CHITTYID_API_KEYS", "traces-test-key".to_owned()),
    ]);
    let _gateway = spawn(
        &["serve", "--listen", &gateway_port.to_string()],
        &env,
        &dir.path().join("gateway"),
    );
    let gateway = HttpClient::new(
        format!("127.0.0.1:{gateway_port}")
            .parse()
            .expect("address"),
    );
    wait_for(&gateway, "/ready").await;
    let minted = gateway
        .post_json(
            "/api/id/generate",
            Some("traces-test-key"),
            &json!({"entity": "PEO"}),
        )
        .await;
    assert_eq!(minted.status, 200);

    // The trace of that generate: the gateway's request span for /api/id/generate.
    let mut found = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let spans = spans.lock().expect("lock").clone();
        // Among the gateway's attempts (the monitor's health checks make some of their own),
        // the one whose trace holds the whole generate.
        for attempt in spans.iter().filter(|s| {
            s.service == "chittyid-gateway"
                && s.name == "authority.request"
                && spans
                    .iter()
                    .any(|a| a.service == "chittyid-authority" && a.parent == s.span)
        }) {
            let trace: Vec<Received> = spans
                .iter()
                .filter(|s| s.trace == attempt.trace)
                .cloned()
                .collect();
            let names: Vec<(&str, &str)> = trace
                .iter()
                .map(|s| (s.service.as_str(), s.name.as_str()))
                .collect();
            if names.contains(&("chittyid-gateway", "audit.record"))
                && names.contains(&("chittyid-authority", "ledger.commit"))
                && names.contains(&("chittyid-gateway", "request"))
            {
                found = Some((attempt.clone(), trace));
                break;
            }
        }
        if found.is_some() {
            break;
        }
    }
    let (attempt, trace) = found.unwrap_or_else(|| {
        let table: Vec<String> = spans
            .lock()
            .expect("lock")
            .iter()
            .map(|s| {
                format!(
                    "{} {} trace {} span {} parent {} events {:?}",
                    s.service,
                    s.name,
                    hex(&s.trace),
                    hex(&s.span),
                    hex(&s.parent),
                    s.events
                )
            })
            .collect();
        panic!(
            "no trace with both servers' spans arrived; received:\n{}",
            table.join("\n")
        )
    });
    let by_id: HashMap<&[u8], &Received> = trace.iter().map(|s| (s.span.as_slice(), s)).collect();
    let root = trace
        .iter()
        .find(|s| s.service == "chittyid-gateway" && s.name == "request")
        .expect("the gateway's request span");
    assert!(root.parent.is_empty(), "the gateway starts the trace");
    assert!(
        root.events.iter().any(|e| e == "breaker"),
        "{:?}",
        root.events
    );
    // The attempt and the audit commit are children of the gateway's request.
    assert_eq!(by_id[attempt.parent.as_slice()].name, "request");
    let audit = trace
        .iter()
        .find(|s| s.name == "audit.record")
        .expect("audit span");
    assert_eq!(audit.parent, root.span);
    // The authority's request continues the trace under the attempt, and holds its commit.
    let remote = trace
        .iter()
        .find(|s| s.service == "chittyid-authority" && s.name == "request")
        .expect("the authority's request span");
    assert_eq!(remote.parent, attempt.span);
    let ledger = trace
        .iter()
        .find(|s| s.name == "ledger.commit")
        .expect("ledger span");
    assert_eq!(ledger.parent, remote.span);
}

#[tokio::test]
async fn nothing_is_exported_without_an_endpoint() {
    // Where an exporter sends by default (OTLP over HTTP on localhost:4318): were the gateway to
    // export with no endpoint set, it would arrive here.
    let (collector, spans) = receiver_on("127.0.0.1:4318").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let _gateway = spawn(
        &["serve", "--listen", &port.to_string()],
        &[
            ("CHITTYID_API_KEYS", "traces-test-key".to_owned()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
        ],
        dir.path(),
    );
    let gateway = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&gateway, "/ready").await;
    let minted = gateway
        .post_json(
            "/api/id/generate",
            Some("traces-test-key"),
            &json!({"entity": "PEO"}),
        )
        .await;
    assert_eq!(minted.status, 200);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        spans.lock().expect("lock").is_empty(),
        "exported to the default endpoint {collector} without being asked"
    );
}

#[tokio::test]
async fn an_unreachable_collector_costs_the_requests_nothing() {
    // Nothing listens on this port: every export fails, and the gateway must not care.
    let collector = free_port();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let _gateway = spawn(
        &["serve", "--listen", &port.to_string()],
        &[
            ("CHITTYID_API_KEYS", "traces-test-key".to_owned()),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                format!("http://127.0.0.1:{collector}"),
            ),
            ("OTEL_BSP_SCHEDULE_DELAY", "50".to_owned()),
        ],
        dir.path(),
    );
    let gateway = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&gateway, "/ready").await;
    for _ in 0..50 {
        let minted = tokio::time::timeout(
            Duration::from_secs(5),
            gateway.post_json(
                "/api/id/generate",
                Some("traces-test-key"),
                &json!({"entity": "PEO"}),
            ),
        )
        .await
        .expect("answered in time despite the collector");
        assert_eq!(minted.status, 200);
    }
    assert_eq!(gateway.get("/ready", None).await.status, 200);
}
