//! Hostile and careless clients at the socket: slow bodies, too many connections, pipelined
//! requests whose answers are never read, bodies refused before they are read, HEAD. Each test
//! also shows a well-behaved client served meanwhile.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chittyid_http::server::ServerLimits;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::helpers::{API_KEY, TestApp, settings, spawn_app_with};

async fn gateway_with(limits: ServerLimits) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = settings(&dir);
    config.limits = limits;
    spawn_app_with(config, dir).await
}

/// A connection from another loopback address, as another client machine would make.
async fn connect_from(source: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{source}:0").parse().expect("address"))
        .expect("bind a loopback source");
    socket.connect(to).await.expect("connect")
}

/// Reads until the peer closes or `limit` passes; what arrived.
async fn read_all(stream: &mut TcpStream, limit: Duration) -> String {
    let mut buffer = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut buffer)).await;
    String::from_utf8_lossy(&buffer).into_owned()
}

fn generate_head(length: usize, token: &str) -> String {
    format!(
        "POST /api/id/generate HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}

#[tokio::test]
async fn a_body_sent_byte_by_byte_is_cut_off_at_the_body_deadline() {
    let app = gateway_with(ServerLimits {
        body_read: Duration::from_millis(500),
        ..ServerLimits::default()
    })
    .await;
    let mut slow = TcpStream::connect(app.client.address())
        .await
        .expect("connect");
    let body = br#"{"entity":"PEO"}"#;
    slow.write_all(generate_head(body.len(), API_KEY).as_bytes())
        .await
        .expect("head");
    let started = Instant::now();
    let trickle = async {
        for byte in body {
            if slow.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), trickle).await;
    let answer = read_all(&mut slow, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    app.generate_id("PEO").await;
    app.stop().await;
}

#[tokio::test]
async fn a_client_over_its_connection_cap_is_refused_and_others_are_served() {
    let app = gateway_with(ServerLimits {
        max_connections_per_client: 8,
        ..ServerLimits::default()
    })
    .await;
    let address = app.client.address();
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(connect_from("127.0.0.2", address).await);
    }
    // The ninth from the same address is answered 503 and closed.
    let mut ninth = connect_from("127.0.0.2", address).await;
    let answer = read_all(&mut ninth, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("too_many_connections"), "{answer}");
    // Another client is served while the first holds its maximum.
    app.generate_id("PEO").await;
    drop(held);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = connect_from("127.0.0.2", address).await;
    again
        .write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let answer = read_all(&mut again, Duration::from_secs(2)).await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "places come back: {answer}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_pipelines_without_reading_is_cut_off_at_the_write_deadline() {
    let app = gateway_with(ServerLimits {
        write_stall: Duration::from_millis(500),
        ..ServerLimits::default()
    })
    .await;
    let mut greedy = connect_from("127.0.0.3", app.client.address()).await;
    let request = b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n".repeat(1_000);
    let started = Instant::now();
    let mut cut_off = false;
    while started.elapsed() < Duration::from_secs(10) {
        match tokio::time::timeout(Duration::from_secs(2), greedy.write_all(&request)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => {
                cut_off = true;
                break;
            }
            // Our own send buffer is full: the server has stopped reading; keep trying.
            Err(_) => {}
        }
        // Served meanwhile.
        app.generate_id("PEO").await;
    }
    assert!(
        cut_off,
        "the server never closed a connection that reads nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_sent_whole_gets_its_413_not_a_reset() {
    let app = gateway_with(ServerLimits::default()).await;
    let mut client = TcpStream::connect(app.client.address())
        .await
        .expect("connect");
    let body = vec![b' '; 2 * 1024 * 1024];
    client
        .write_all(generate_head(body.len(), API_KEY).as_bytes())
        .await
        .expect("head");
    client
        .write_all(&body)
        .await
        .expect("the whole body is taken");
    let answer = read_all(&mut client, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:?}");
    assert!(answer.contains("body_too_large"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_401_that_leaves_a_body_unread_says_connection_close() {
    let app = gateway_with(ServerLimits::default()).await;
    let mut client = TcpStream::connect(app.client.address())
        .await
        .expect("connect");
    let body = json!({"entity": "PEO"}).to_string();
    client
        .write_all(format!("{}{body}", generate_head(body.len(), "wrong-key")).as_bytes())
        .await
        .expect("write");
    let answer = read_all(&mut client, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    app.stop().await;
}

#[tokio::test]
async fn head_answers_like_get_without_the_body() {
    let app = gateway_with(ServerLimits::default()).await;
    let path = "/api/id/validate/03-1-USA-0001-P-2602-0-85";
    let get = app.client.get(path, Some(API_KEY)).await;
    let mut client = TcpStream::connect(app.client.address())
        .await
        .expect("connect");
    let head = format!(
        "HEAD {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {API_KEY}\r\nConnection: close\r\n\r\n"
    );
    client.write_all(head.as_bytes()).await.expect("write");
    let answer = read_all(&mut client, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    assert_eq!(body, "", "no body");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {}", get.body.len())),
        "{head}"
    );
    app.stop().await;
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_clients_own_is_kept() {
    let app = gateway_with(ServerLimits::default()).await;
    let made = app.client.get("/health", None).await;
    let id = made.headers["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(!id.is_empty());
    let next = app.client.get("/health", None).await;
    assert_ne!(
        next.headers["x-request-id"].to_str().expect("ascii"),
        id,
        "unique"
    );
    let kept = app
        .client
        .send_with_headers(
            http::Method::GET,
            "/health",
            &[("x-request-id", "client-chosen-1")],
            bytes::Bytes::new(),
        )
        .await;
    assert_eq!(kept.headers["x-request-id"], "client-chosen-1");
    let refused = app.client.get("/nowhere", None).await;
    assert_eq!(
        (refused.status.as_u16(), refused.error_code()),
        (404, "not_found".into())
    );
    assert!(refused.headers.contains_key("x-request-id"));
    app.stop().await;
}
