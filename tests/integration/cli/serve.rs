//! `chittyid serve` as a user runs it: the real process, its console, its config file.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::http_client::HttpClient;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

async fn wait_for_health(client: &HttpClient) {
    for _ in 0..100 {
        let ok = tokio::time::timeout(Duration::from_millis(200), client.try_get("/health")).await;
        if matches!(ok, Ok(Some(status)) if status == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the gateway did not come up");
}

#[tokio::test]
async fn the_first_start_shows_a_dev_key_that_mints() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("CHITTYID_API_KEYS")
        .env_remove("CHITTYID_SERVICE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("piped");
    let _running = Running(child);
    let key = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| {
                line.trim()
                    .strip_prefix("cik_")
                    .map(|rest| format!("cik_{rest}"))
            })
    })
    .await
    .expect("reader")
    .expect("a dev key on the console");
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for_health(&client).await;
    let answer = client
        .post_json("/api/id/generate", Some(&key), &json!({"entity": "PEO"}))
        .await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let hashes = std::fs::read_to_string(dir.path().join("gateway-api-keys")).expect("hash file");
    assert!(!hashes.contains(&key), "only the key's hash is kept");
}

#[tokio::test]
async fn a_config_file_sets_what_flags_do_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = dir.path().join("chittyid.json");
    std::fs::write(
        &config,
        json!({"listen": format!("127.0.0.1:{port}"), "dataDir": dir.path(), "rateLimit": 2})
            .to_string(),
    )
    .expect("write");
    let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("CHITTYID_API_KEYS", "config-test-key")
        .env_remove("CHITTYID_SERVICE_URL")
        .env_remove("CHITTYID_LISTEN")
        .env_remove("CHITTYID_RATE_LIMIT")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let _running = Running(child);
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for_health(&client).await;
    for expected in [200, 200, 429] {
        let answer = client
            .post_json(
                "/api/id/generate",
                Some("config-test-key"),
                &json!({"entity": "PEO"}),
            )
            .await;
        assert_eq!(answer.status, expected);
    }
}

#[test]
fn a_bad_config_file_is_refused_with_its_fault() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("bad.json");
    std::fs::write(&config, r#"{"listen": "127.0.0.1:0", "colour": "red"}"#).expect("write");
    let run =
        crate::helpers::chittyid(&["serve", "--config", config.to_str().expect("utf-8")], b"");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown field `colour`"),
        "{}",
        run.stderr
    );
}
