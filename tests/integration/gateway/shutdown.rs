//! Shutdown of the real `chittyid serve` process: a keyed generate whose client went away
//! still finishes, and its audit row is stored, before the process exits.

use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::fault_upstream::{FaultUpstream, Mode};
use crate::helpers::free_port;
use crate::http_client::HttpClient;

#[tokio::test]
async fn sigterm_waits_for_a_keyed_generate_whose_client_left() {
    let upstream = FaultUpstream::start(Mode::Slow(Duration::from_millis(1_500))).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .args(["serve", "--listen", &port.to_string(), "--data-dir"])
        .arg(dir.path())
        .env("CHITTYID_SERVICE_URL", upstream.base_url())
        .env("CHITTY_ID_TOKEN", "upstream-token")
        .env("CHITTYID_API_KEYS", "shutdown-test-key")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    for _ in 0..100 {
        if matches!(client.try_get("/health").await, Some(status) if status == 200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body = r#"{"entity":"PEO"}"#;
    let mut leaving = TcpStream::connect(client.address()).await.expect("connect");
    let request = format!(
        "POST /api/id/generate HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer shutdown-test-key\r\n\
         Content-Type: application/json\r\nIdempotency-Key: leaving-1\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    leaving.write_all(request.as_bytes()).await.expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(leaving);
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(terminated.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("exits");
    assert!(status.success(), "{status}");
    let store = chittyid_sqlite::SqliteStore::open(&dir.path().join("gateway.db"))
        .await
        .expect("open");
    let events = store.recent_audit_events(10).await.expect("read");
    assert!(
        events
            .iter()
            .any(|e| e.action == "generate" && e.outcome == "ok" && e.ids.len() == 1),
        "the generate finished before the exit: {events:?}"
    );
}
