//! `chittyid serve` as a user runs it: the real process, its console, its config file.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::http_client::HttpClient;

use crate::helpers::{Running, free_port, wait_for};

#[tokio::test]
async fn the_first_start_shows_a_dev_key_that_mints() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
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
    wait_for(&client, "/health").await;
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
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
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
    wait_for(&client, "/health").await;
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

#[tokio::test]
async fn a_first_start_that_fails_leaves_no_unshown_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port();
    let output = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("CHITTYID_API_KEYS")
        .env_remove("CHITTYID_SERVICE_URL")
        .output()
        .expect("runs");
    assert!(!output.status.success(), "the port is taken");
    assert!(
        !dir.path().join(chittyid::gateway::API_KEY_FILE).exists(),
        "a key was created that nobody was shown"
    );
}

/// Generates at full speed from several clients, then SIGKILLs the gateway: every ID a client
/// was given has its audit row. With the authority in the process (one file, every commit
/// synced), and with it elsewhere (the gateway's own file at the default durability,
/// `process-crash`: a commit is written to the operating system before its answer).
#[tokio::test]
async fn every_acknowledged_generate_has_its_audit_row_after_sigkill() {
    acknowledged_generates_survive_sigkill(false).await;
}

#[tokio::test]
async fn every_acknowledged_generate_has_its_audit_row_after_sigkill_with_a_remote_authority() {
    acknowledged_generates_survive_sigkill(true).await;
}

async fn acknowledged_generates_survive_sigkill(remote: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut gateway = Command::new(env!("CARGO_BIN_EXE_chittyid"));
    let mut _authority = None;
    if remote {
        let authority_port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
            .env_remove("DATABASE_URL")
            .args([
                "authority",
                "--listen",
                &format!("127.0.0.1:{authority_port}"),
            ])
            .arg("--data-dir")
            .arg(dir.path().join("authority"))
            .env("CHITTYID_AUTHORITY_TOKENS", "kill-test-token")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        _authority = Some(Running(child));
        let client = HttpClient::new(
            format!("127.0.0.1:{authority_port}")
                .parse()
                .expect("address"),
        );
        wait_for(&client, "/v1/health").await;
        gateway
            .env(
                "CHITTYID_SERVICE_URL",
                format!("http://127.0.0.1:{authority_port}/v1"),
            )
            .env("CHITTY_ID_TOKEN", "kill-test-token")
            .env_remove("CHITTYID_DURABILITY");
    } else {
        gateway.env_remove("CHITTYID_SERVICE_URL");
    }
    let child = gateway
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .env("CHITTYID_API_KEYS", "kill-test-key")
        .env("CHITTYID_RATE_LIMIT", "0")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut running = Running(child);
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&client, "/health").await;
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (client, acknowledged) = (client.clone(), std::sync::Arc::clone(&acknowledged));
            tokio::spawn(async move {
                loop {
                    let Some((status, body)) = client
                        .try_post_json(
                            "/api/id/generate",
                            "kill-test-key",
                            &json!({"entity": "PEO"}),
                        )
                        .await
                    else {
                        return;
                    };
                    if status == 200 {
                        let value: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
                        let id = value["chittyId"].as_str().expect("ID").to_owned();
                        acknowledged.lock().expect("lock").push(id);
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    running.0.kill().expect("SIGKILL");
    let _ = running.0.wait();
    for worker in workers {
        let _ = worker.await;
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() > 10,
        "only {} generated",
        acknowledged.len()
    );
    let file = if remote {
        chittyid::gateway::AUDIT_DATABASE_FILE
    } else {
        "authority.db"
    };
    let store = chittyid_sqlite::SqliteStore::open(&dir.path().join(file))
        .await
        .expect("the database opens after a crash");
    let audited: std::collections::HashSet<String> = store
        .recent_audit_events(u32::MAX)
        .await
        .expect("read")
        .into_iter()
        .filter(|e| e.action == "generate" && e.outcome == "ok")
        .flat_map(|e| e.ids)
        .collect();
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !audited.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged IDs have no audit row: {:?}",
        missing.len(),
        acknowledged.len(),
        &missing[..missing.len().min(5)]
    );
}

#[tokio::test]
async fn listen_takes_a_bare_port_and_a_host_name() {
    for listen in ["{port}", "localhost:{port}"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .args([
                "serve",
                "--listen",
                &listen.replace("{port}", &port.to_string()),
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .env("CHITTYID_API_KEYS", "listen-test-key")
            .env_remove("CHITTYID_SERVICE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let _running = Running(child);
        let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
        wait_for(&client, "/health").await;
    }
}

/// A password inside `CHITTYID_SERVICE_URL` never reaches the start-up error.
#[test]
fn credentials_in_the_service_url_stay_out_of_the_start_up_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = crate::helpers::chittyid(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            dir.path().to_str().expect("utf-8"),
            "--service-url",
            "ftp://alice:s3cret-pw@127.0.0.1:1/v1",
            "--authority-token",
            "t",
        ],
        b"",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a valid http(s) URL"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("s3cret-pw") && !run.stdout.contains("s3cret-pw"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("***@127.0.0.1:1"), "{}", run.stderr);
}

#[tokio::test]
async fn the_logs_give_the_monitors_events_as_fields_and_the_stores_in_use() {
    let dir = tempfile::tempdir().expect("temp dir");
    // An authority that is not there: the monitor reports it.
    let text = gateway_json_log(
        dir.path(),
        "http://user:secret-password@127.0.0.1:9/v1",
        &[],
        Duration::from_millis(500),
    )
    .await;
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let listening = lines
        .iter()
        .find(|line| line["fields"]["message"] == "chittyid gateway listening")
        .unwrap_or_else(|| panic!("a listening line in {text}"));
    assert_eq!(listening["fields"]["store"], "sqlite");
    // The gateway's own file, with the authority elsewhere: synced at checkpoints by default.
    assert_eq!(listening["fields"]["durability"], "process-crash");
    assert_eq!(listening["fields"]["cache"], "in-process");
    assert_eq!(
        listening["fields"]["authority"],
        "http://***@127.0.0.1:9/v1"
    );
    let change = lines
        .iter()
        .find(|line| line["fields"]["event"] == "state_change")
        .unwrap_or_else(|| panic!("a state change in {text}"));
    assert_eq!(change["fields"]["from"], "DISCONNECTED", "{change}");
    assert!(
        !text.contains("StateChange {"),
        "no debug structures: {text}"
    );
    assert!(!text.contains("secret-password"), "{text}");
}

#[tokio::test]
async fn a_restart_says_where_the_keys_are_and_how_to_make_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let start = || {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("CHITTYID_API_KEYS")
            .env_remove("CHITTYID_SERVICE_URL")
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let stdout = child.stdout.take().expect("piped");
        (Running(child), BufReader::new(stdout).lines())
    };
    let (first, lines) = start();
    let created = tokio::task::spawn_blocking(move || {
        lines
            .map_while(Result::ok)
            .find(|line| line.starts_with("Created a dev API key"))
    })
    .await
    .expect("reader");
    assert!(created.is_some(), "the first start makes a dev key");
    drop(first);
    let (_second, lines) = start();
    let summary = tokio::task::spawn_blocking(move || {
        lines
            .map_while(Result::ok)
            .find(|line| line.starts_with("API keys: "))
    })
    .await
    .expect("reader")
    .expect("a restart says where the keys are");
    assert!(
        summary.contains("1 from the dev key's hash in")
            && summary.contains("0 stored (chittyid keys list)")
            && summary.contains("chittyid keys create --name NAME"),
        "{summary}"
    );
    assert!(!summary.contains("cik_"), "never a key: {summary}");
}

#[tokio::test]
async fn entity_aliases_and_cors_origins_come_from_flags_and_the_config_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = dir.path().join("chittyid.json");
    std::fs::write(
        &config,
        json!({"entityAliases": {"CONTRACT": "INFO"}, "corsOrigins": ["https://explorer.example"]})
            .to_string(),
    )
    .expect("write");
    let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("CHITTYID_SERVICE_URL")
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--entity-alias",
            "CASE=EVNT",
            "--config",
        ])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path())
        .env("CHITTYID_API_KEYS", "alias-test-key")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let _running = Running(child);
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&client, "/health").await;
    for (entity, letter) in [("CASE", "E"), ("contract", "T"), ("SESSION", "P")] {
        let answer = client
            .post_json("/mint", Some("alias-test-key"), &json!({"entity": entity}))
            .await;
        assert_eq!(answer.status, 200, "{entity}: {}", answer.json());
        assert_eq!(answer.json()["entityType"], letter, "{entity}");
    }
    let preflight = client
        .send_with_headers(
            http::Method::OPTIONS,
            "/api/id/generate",
            &[
                ("origin", "https://explorer.example"),
                ("access-control-request-method", "POST"),
            ],
            bytes::Bytes::new(),
        )
        .await;
    assert_eq!(
        preflight.headers["access-control-allow-origin"],
        "https://explorer.example"
    );
    // A mapping to no known name stops the start, naming it.
    let refused = crate::helpers::chittyid(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--entity-alias",
            "CASE=LAWSUIT",
            "--data-dir",
            dir.path().join("other").to_str().expect("UTF-8"),
        ],
        b"",
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("--entity-alias \"CASE=LAWSUIT\""),
        "{}",
        refused.stderr
    );
}

/// Runs a gateway with JSON logs at INFO, the authority at `service_url` (none answers there),
/// and `args`, until it is healthy and `linger` more; returns its log.
async fn gateway_json_log(
    dir: &std::path::Path,
    service_url: &str,
    args: &[&str],
    linger: Duration,
) -> String {
    let port = free_port();
    let log_path = dir.join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("CHITTYID_DURABILITY")
        .args(["serve", "--log-format", "json", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("CHITTYID_SERVICE_URL", service_url)
        .env("CHITTY_ID_TOKEN", "log-test-token")
        .env("CHITTYID_API_KEYS", "log-test-key")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("starts");
    let running = Running(child);
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&client, "/health").await;
    tokio::time::sleep(linger).await;
    drop(running);
    std::fs::read_to_string(&log_path).expect("log")
}

/// A gateway's start-up line, started with `args` (see [`gateway_json_log`]).
async fn listening_line(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let text = gateway_json_log(dir, "http://127.0.0.1:9/v1", args, Duration::ZERO).await;
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["fields"]["message"] == "chittyid gateway listening")
        .unwrap_or_else(|| panic!("a listening line in {text}"))
}

#[tokio::test]
async fn the_gateway_files_durability_comes_from_the_config_file_and_flags() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("chittyid.json");
    std::fs::write(&config, json!({"durability": "power-loss"}).to_string()).expect("write");
    let config = config.to_str().expect("UTF-8");
    let from_file = listening_line(dir.path(), &["--config", config]).await;
    assert_eq!(
        from_file["fields"]["durability"], "power-loss",
        "{from_file}"
    );
    let from_flag = listening_line(
        dir.path(),
        &["--config", config, "--durability", "process-crash"],
    )
    .await;
    assert_eq!(
        from_flag["fields"]["durability"], "process-crash",
        "{from_flag}"
    );
    let refused = crate::helpers::chittyid(
        &["serve", "--listen", "127.0.0.1:0", "--durability", "fast"],
        b"",
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("process-crash") && refused.stderr.contains("power-loss"),
        "the error names the choices: {}",
        refused.stderr
    );
}
