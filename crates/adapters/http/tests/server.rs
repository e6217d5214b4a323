//! The server loop on a real socket: a panicking handler answers 500 JSON on a connection that
//! stays usable, and shutdown lets a request in flight finish.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use chittyid_http::server::{ServerLimits, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A panicking route, a slow one and a plain one, with the edge layers every API has.
fn scripted() -> Router {
    chittyid_http::edge::layers(
        Router::new()
            .route(
                "/panic",
                get(|| async {
                    if std::hint::black_box(true) {
                        panic!("scripted panic");
                    }
                    "unreachable"
                }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "slow done"
                }),
            )
            .route("/", get(|| async { "ok" })),
        chittyid_http::metrics::MetricsBuilder::new()
            .build()
            .http()
            .clone(),
    )
}

async fn start() -> (
    std::net::SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        listener,
        scripted(),
        async move {
            let _ = stopped.await;
        },
        ServerLimits {
            shutdown_grace: Duration::from_secs(5),
            ..ServerLimits::default()
        },
    ));
    (address, stop, task)
}

/// Sends one request on `stream` and reads one response (small bodies, Content-Length).
async fn exchange(stream: &mut TcpStream, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(
            n > 0,
            "connection closed: {}",
            String::from_utf8_lossy(&buffer)
        );
        buffer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buffer).into_owned();
        if let Some(head_end) = text.find("\r\n\r\n") {
            let length: usize = text[..head_end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buffer.len() >= head_end + 4 + length {
                return text;
            }
        }
    }
}

#[tokio::test]
async fn a_panic_becomes_a_500_json_answer_and_the_connection_lives_on() {
    let (address, stop, task) = start().await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let answer = exchange(&mut stream, "/panic").await;
    assert!(answer.starts_with("HTTP/1.1 500"), "{answer}");
    assert!(answer.contains(r#""code":"internal_error""#), "{answer}");
    assert!(
        !answer.contains("scripted panic"),
        "the panic message stays in the log"
    );
    let next = exchange(&mut stream, "/").await;
    assert!(
        next.starts_with("HTTP/1.1 200") && next.ends_with("ok"),
        "{next}"
    );
    let _ = stop.send(());
    drop(stream);
    task.await.expect("server stops");
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let (address, stop, task) = start().await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let slow = tokio::spawn(async move { exchange(&mut stream, "/slow").await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = stop.send(());
    let answer = slow.await.expect("task");
    assert!(answer.ends_with("slow done"), "{answer}");
    task.await.expect("server stops");
    assert!(
        TcpStream::connect(address).await.is_err(),
        "no longer accepting"
    );
}
