//! Floods of connections against the real `chittyid serve` process: the open-file limit a shell
//! gives it, and what a flood writes to its log.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{Running, free_port, wait_for};
use crate::http_client::HttpClient;

const KEY: &str = "connections-test-key";

/// `chittyid serve` on the embedded default under `ulimit` arguments (`-Sn 1024`), logging JSON
/// at info to `log`.
fn serve_under_ulimit(ulimit: &str, dir: &Path, port: u16, log: &Path) -> Child {
    let log = std::fs::File::create(log).expect("log file");
    Command::new("bash")
        .args([
            "-c",
            &format!("ulimit {ulimit} && exec \"$0\" \"$@\""),
            env!("CARGO_BIN_EXE_chittyid"),
            "serve",
            "--log-format",
            "json",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("CHITTYID_SERVICE_URL")
        .env("CHITTYID_API_KEYS", KEY)
        .env("CHITTYID_RATE_LIMIT", "0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("bash starts chittyid serve")
}

fn log_lines(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .expect("log")
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

fn message(line: &Value) -> &str {
    line["fields"]["message"].as_str().unwrap_or_default()
}

/// The test process holds as many sockets as the flood needs.
fn raise_own_file_limit(at_least: u64) {
    let now = rlimit::increase_nofile_limit(u64::MAX).expect("raise the test's file limit");
    assert!(
        now >= at_least,
        "this test opens {at_least} sockets; the hard open-file limit is {now}: raise it (ulimit -Hn)"
    );
}

async fn connect_from(source: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{source}:0").parse().expect("address"))
        .expect("bind a loopback source");
    socket.connect(to).await.expect("connect")
}

/// SIGTERM, then waits for the process to exit (it logs its last summary on the way out).
fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if child.try_wait().expect("wait").is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the gateway did not stop within 15 s of SIGTERM");
}

#[tokio::test]
async fn a_shells_low_soft_file_limit_is_raised_so_a_flood_does_not_starve_other_clients() {
    // What `cargo run -- serve` gets from a shell: a soft limit of 1,024 under a higher hard one.
    raise_own_file_limit(4_096);
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("serve.log");
    let port = free_port();
    let child = serve_under_ulimit("-Sn 1024", dir.path(), port, &log);
    let pid = child.id();
    let running = Running(child);
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&client, "/health").await;
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let open_files = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("a file limit line");
    let fields: Vec<&str> = open_files.split_whitespace().collect();
    assert_eq!(
        fields[3], fields[4],
        "the soft limit is raised to the hard one: {open_files}"
    );
    // 1,500 idle connections from 8 addresses, each under the 256 per address.
    let mut flood = Vec::new();
    for n in 0..1_500 {
        flood.push(connect_from(&format!("127.0.1.{}", n % 8 + 1), client.address()).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A client from elsewhere is served at once.
    let started = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        client.post_json("/api/id/generate", Some(KEY), &json!({"entity": "PEO"})),
    )
    .await
    .expect("served within 5 s while 1,500 connections are held");
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let waited = started.elapsed();
    drop(flood);
    drop(running);
    let lines = log_lines(&log);
    assert!(
        lines.iter().any(
            |line| message(line) == "raised the open-file limit to the hard limit"
                && line["fields"]["before"] == 1_024
        ),
        "the start-up log says the limit was raised: {lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| message(line) == "connection caps"
                && line["fields"]["max_connections"] == 4_096),
        "the start-up log gives the caps: {lines:?}"
    );
    assert!(
        !lines
            .iter()
            .any(|line| message(line).starts_with("accept failed")),
        "no accept failed for want of descriptors: {lines:?}"
    );
    let listening = lines
        .iter()
        .find(|line| message(line) == "chittyid gateway listening")
        .expect("a listening line");
    assert_eq!(
        (
            &listening["fields"]["store"],
            &listening["fields"]["durability"],
            &listening["fields"]["cache"],
            &listening["fields"]["authority"]
        ),
        (
            &json!("sqlite"),
            &json!("power-loss"),
            &json!("in-process"),
            &json!("in-process")
        ),
        "the start-up log says which stores are in use: {listening}"
    );
    println!("a generate beside 1,500 held connections took {waited:?}");
}

#[tokio::test]
async fn the_connection_caps_fit_a_low_hard_file_limit() {
    raise_own_file_limit(1_024);
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("serve.log");
    let port = free_port();
    let running = Running(serve_under_ulimit("-n 512", dir.path(), port, &log));
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&client, "/health").await;
    // 600 connections from 3 addresses, each under 256: past the derived cap of 384, the
    // gateway answers 503 rather than running out of descriptors.
    let mut flood = Vec::new();
    let mut refused = 0;
    for n in 0..600 {
        let mut stream = connect_from(&format!("127.0.2.{}", n % 3 + 1), client.address()).await;
        let mut first = [0u8; 12];
        match tokio::time::timeout(Duration::from_millis(20), stream.read(&mut first)).await {
            Ok(Ok(read)) if first[..read].starts_with(b"HTTP/1.1 503") => refused += 1,
            _ => flood.push(stream),
        }
    }
    assert!(
        (190..=220).contains(&refused),
        "600 connections against a cap of 384: {refused} refused"
    );
    drop(flood);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = client
        .post_json("/api/id/generate", Some(KEY), &json!({"entity": "PEO"}))
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    drop(running);
    let lines = log_lines(&log);
    let caps = lines
        .iter()
        .find(|line| message(line).starts_with("connection caps lowered"))
        .unwrap_or_else(|| panic!("a warning names the lowered caps: {lines:?}"));
    assert_eq!(caps["fields"]["open_files"], 512);
    assert_eq!(caps["fields"]["max_connections"], 384);
    assert!(
        !lines
            .iter()
            .any(|line| message(line).starts_with("accept failed")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_flood_of_refused_connections_is_logged_as_summaries_not_line_by_line() {
    raise_own_file_limit(2_048);
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("serve.log");
    let port = free_port();
    let child = serve_under_ulimit("-Sn 4096", dir.path(), port, &log);
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&client, "/health").await;
    // One address holds its 256 connections, then tries 1,000 more: each is refused.
    let mut held = Vec::new();
    for _ in 0..256 {
        held.push(connect_from("127.0.3.1", client.address()).await);
    }
    let mut refused = 0;
    for _ in 0..1_000 {
        let mut stream = connect_from("127.0.3.1", client.address()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut answer)).await;
        if answer.starts_with(b"HTTP/1.1 503") {
            refused += 1;
        }
    }
    assert_eq!(refused, 1_000);
    drop(held);
    stop(child);
    let lines = log_lines(&log);
    let about_refusals: Vec<&Value> = lines
        .iter()
        .filter(|line| message(line).starts_with("connection"))
        .filter(|line| message(line).contains("refused"))
        .collect();
    assert!(
        about_refusals.len() <= 3,
        "1,000 refusals logged in {} lines: {about_refusals:?}",
        about_refusals.len()
    );
    let summarised: u64 = about_refusals
        .iter()
        .filter_map(|line| line["fields"]["refused"].as_u64())
        .sum();
    assert_eq!(
        summarised + 1,
        1_000,
        "the first is logged on its own, the rest counted: {about_refusals:?}"
    );
    assert!(
        about_refusals
            .iter()
            .any(|line| line["fields"]["most_refused"]
                .as_str()
                .is_some_and(|most| most.starts_with("127.0.3.1 ("))),
        "the summary names the address: {about_refusals:?}"
    );
}
