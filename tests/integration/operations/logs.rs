//! Logs of a real `chittyid serve` process: JSON lines carrying the request's id, method and
//! path; the access log as its own target; no ANSI codes on a pipe; never the API key.

use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{Running, free_port, wait_for};
use crate::http_client::HttpClient;

const KEY: &str = "logs-test-key-with-entropy";

/// Runs a gateway with `args`, makes a generate (request id `logs-1`) and a refused one, stops
/// it, and returns what it wrote on stderr.
async fn logged(args: &[&str], rust_log: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let log = dir.path().join("stderr.log");
    let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("CHITTYID_SERVICE_URL")
        .env_remove("CHITTYID_LOG_FORMAT")
        .args(["serve", "--listen", &port.to_string(), "--data-dir"])
        .arg(dir.path())
        .args(args)
        .env("CHITTYID_API_KEYS", KEY)
        .env("RUST_LOG", rust_log)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("starts");
    let running = Running(child);
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&client, "/health").await;
    let minted = client
        .send_with_headers(
            http::Method::POST,
            "/api/id/generate",
            &[
                ("authorization", &format!("Bearer {KEY}")),
                ("content-type", "application/json"),
                ("x-request-id", "logs-1"),
            ],
            json!({"entity": "PEO"}).to_string(),
        )
        .await;
    assert_eq!(minted.status, 200);
    let refused = client
        .post_json(
            "/api/id/generate",
            Some("wrong-key"),
            &json!({"entity": "PEO"}),
        )
        .await;
    assert_eq!(refused.status, 401);
    drop(running);
    std::fs::read_to_string(&log).expect("the log")
}

#[tokio::test]
async fn json_lines_carry_the_request_id_and_the_access_log_is_its_own_target() {
    let text = logged(&["--log-format", "json"], "info,chittyid::access=info").await;
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let access: Vec<&Value> = lines
        .iter()
        .filter(|line| line["target"] == "chittyid::access")
        .collect();
    let mint = access
        .iter()
        .find(|line| line["span"]["request_id"] == "logs-1")
        .unwrap_or_else(|| panic!("no access line for logs-1 in\n{text}"));
    assert_eq!(mint["fields"]["status"], 200);
    assert_eq!(mint["fields"]["method"], "POST");
    assert_eq!(mint["fields"]["path"], "/api/id/generate");
    assert!(mint["fields"]["latency_ms"].as_f64() > Some(0.0));
    let refusal = access
        .iter()
        .find(|line| line["fields"]["status"] == 401)
        .unwrap_or_else(|| panic!("no access line for the 401 in\n{text}"));
    assert!(
        !refusal["span"]["request_id"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "a request id is made when the client sends none"
    );
    assert!(!text.contains('\u{1b}'), "no ANSI codes on a pipe");
    assert!(!text.contains(KEY) && !text.contains("wrong-key"), "{text}");
}

#[tokio::test]
async fn text_logs_on_a_pipe_have_no_colour_and_the_access_log_is_off_by_default() {
    let text = logged(&[], "").await;
    assert!(text.contains("listening"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no ANSI codes on a pipe: {text:?}"
    );
    assert!(
        !text.contains("answered"),
        "the access log is off by default: {text}"
    );
}
