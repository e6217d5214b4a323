//! A gateway given the authority's mint log key verifies from the log's proofs, and raises the
//! alarm when the authority behind its URL answers a log that does not extend the one it saw
//! (real processes: an authority replaced by another with the same key and another ledger).

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::authority::helpers::TOKEN;
use crate::helpers::{Running, free_port, wait_for};
use crate::http_client::HttpClient;

const API_KEY: &str = "witness-api-key";

fn authority(port: u16, data: &std::path::Path, log_key: &std::path::Path) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["authority", "--listen", &port.to_string(), "--data-dir"])
        .arg(data)
        .arg("--log-key")
        .arg(log_key)
        .env_remove("DATABASE_URL")
        .env("CHITTYID_AUTHORITY_TOKENS", TOKEN)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    Running(child)
}

async fn mint(client: &HttpClient, count: usize) {
    for _ in 0..count {
        let answer = client
            .post_json("/v1/mint", Some(TOKEN), &json!({"entity": "PEO"}))
            .await;
        assert_eq!(answer.status, 200);
    }
}

async fn metric(client: &HttpClient, name: &str) -> f64 {
    let answer = client.get("/metrics", Some(API_KEY)).await;
    let text = String::from_utf8(answer.body.to_vec()).expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_verifies_from_the_log_and_raises_the_alarm_when_the_log_forks() {
    let dir = tempfile::tempdir().expect("dir");
    let key_path = dir.path().join("log-key");
    let authority_port = free_port();
    let authority_client = HttpClient::new(
        format!("127.0.0.1:{authority_port}")
            .parse()
            .expect("address"),
    );
    let first = authority(authority_port, &dir.path().join("first"), &key_path);
    wait_for(&authority_client, "/v1/health").await;
    let key = String::from_utf8(
        authority_client
            .get("/v1/log/key", None)
            .await
            .body
            .to_vec(),
    )
    .expect("text");

    let log_path = dir.path().join("gateway.log");
    let port = free_port();
    let gateway_child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["serve", "--listen", &port.to_string(), "--data-dir"])
        .arg(dir.path().join("gateway"))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env(
            "CHITTYID_SERVICE_URL",
            format!("http://127.0.0.1:{authority_port}/v1"),
        )
        .env("CHITTY_ID_TOKEN", TOKEN)
        .env("CHITTYID_AUTHORITY_LOG_KEY", key.trim())
        .env("CHITTYID_API_KEYS", API_KEY)
        .env("CHITTYID_RATE_LIMIT", "0")
        .env("RUST_LOG", "error")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).expect("log file"))
        .spawn()
        .expect("starts");
    let _gateway = Running(gateway_child);
    let gateway = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&gateway, "/health").await;

    let generated = gateway
        .post_json("/api/id/generate", Some(API_KEY), &json!({"entity": "PEO"}))
        .await;
    assert_eq!(generated.status, 200, "{}", generated.json());
    let id = generated.json()["chittyId"]
        .as_str()
        .expect("ID")
        .to_owned();
    mint(&authority_client, 4).await;
    // Proved from the log (the checkpoint that holds a new ID is waited for).
    let path = format!("/api/id/validate/{id}?verify=true");
    let verified = gateway.get(&path, Some(API_KEY)).await;
    assert_eq!(verified.status, 200, "{}", verified.json());
    assert_eq!(
        verified.json()["authority"],
        json!({"minted": true, "cached": false})
    );
    assert!(metric(&gateway, "chittyid_authority_log_proofs_verified_total").await >= 1.0);
    assert!(metric(&gateway, "chittyid_authority_log_checkpoint_size").await >= 1.0);
    // An ID this log never held is not minted, by the log's word (a 404 for its proof).
    let stranger = gateway
        .get(
            "/api/id/validate/03-1-USA-0001-P-2602-0-85?verify=true",
            Some(API_KEY),
        )
        .await;
    assert_eq!(stranger.json()["authority"]["minted"], false);

    // Another authority with the same key and another ledger takes the first one's place:
    // its log of eight leaves does not extend the five the gateway saw.
    drop(first);
    let _second = authority(authority_port, &dir.path().join("second"), &key_path);
    wait_for(&authority_client, "/v1/health").await;
    mint(&authority_client, 8).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let refused = gateway.get(&path, Some(API_KEY)).await;
    assert_eq!(refused.status, 502, "{}", refused.json());
    assert_eq!(refused.error_code(), "authority_log_forked");
    assert!(metric(&gateway, "chittyid_authority_log_forks_total").await >= 1.0);
    let health = gateway.get("/api/id/health", None).await.json();
    assert!(
        health["problems"]
            .as_array()
            .expect("problems")
            .contains(&json!("authority_log_forked")),
        "{health}"
    );
    assert_eq!(gateway.get("/ready", None).await.status, 503);
    let logged = std::fs::read_to_string(&log_path).expect("log");
    assert!(
        logged.contains("ALARM: the authority's mint log forked"),
        "{logged}"
    );
    // The fork is never forgotten by this process: still refused.
    let again = gateway.get(&path, Some(API_KEY)).await;
    assert_eq!(again.error_code(), "authority_log_forked");
}
