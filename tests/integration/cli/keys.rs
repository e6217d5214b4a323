//! `chittyid keys` against a running `chittyid serve`: keys made, rotated and revoked by one
//! process are honoured by the other within the refresh interval, each with its own rate and
//! scopes, and named in the audit log.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Running, chittyid, free_port, wait_for};
use crate::http_client::{Answer, HttpClient};

const ENV_KEY: &str = "keys-test-environment-key";
const CANONICAL: &str = "/api/id/validate/03-1-USA-0001-P-2602-0-85";

fn keys(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["keys", "--json", "--data-dir", dir.to_str().expect("UTF-8")];
    all.extend_from_slice(args);
    let run = chittyid(&all, b"");
    assert_eq!(run.code, 0, "chittyid {all:?}: {}", run.stderr);
    serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("{}: {e}", run.stdout))
}

fn secret(created: &Value) -> String {
    created["secret"].as_str().expect("a secret").to_owned()
}

/// Polls (10 s at most) until `path` with `token` answers `status`.
async fn becomes(client: &HttpClient, token: &str, status: u16) -> Duration {
    let started = Instant::now();
    loop {
        let answer = client.get(CANONICAL, Some(token)).await;
        if answer.status == status {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still {} after 10 s, waiting for {status}: {:?}",
            answer.status,
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn generate(client: &HttpClient, token: &str) -> Answer {
    client
        .post_json("/api/id/generate", Some(token), &json!({"entity": "PEO"}))
        .await
}

#[tokio::test]
async fn keys_made_by_the_cli_are_honoured_by_a_running_gateway_with_their_own_rate_and_scopes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("CHITTYID_SERVICE_URL")
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .env("CHITTYID_API_KEYS", ENV_KEY)
        .env("CHITTYID_RATE_LIMIT", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let _running = Running(child);
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&client, "/health").await;

    let chat = keys(
        dir.path(),
        &["create", "--name", "chittychat", "--rate", "5/min"],
    );
    assert_eq!(
        (&chat["name"], &chat["scopes"], &chat["ratePerMinute"]),
        (&json!("chittychat"), &json!("generate,validate"), &json!(5))
    );
    let chat_secret = secret(&chat);
    assert!(chat_secret.starts_with("cik_"), "{chat}");
    let reader = keys(
        dir.path(),
        &["create", "--name", "reader", "--scopes", "validate"],
    );
    let reader_secret = secret(&reader);
    let picked_up = becomes(&client, &chat_secret, 200).await;
    becomes(&client, &reader_secret, 200).await;
    println!("a new key was accepted {picked_up:?} after it was created");

    // Its own rate (5 a minute), not the gateway's (2); the environment's key keeps the 2.
    for n in 0..5 {
        assert_eq!(
            generate(&client, &chat_secret).await.status,
            200,
            "generate {n}"
        );
    }
    let limited = generate(&client, &chat_secret).await;
    assert_eq!(
        (limited.status.as_u16(), limited.error_code()),
        (429, "rate_limited".into())
    );
    assert_eq!(generate(&client, ENV_KEY).await.status, 200);
    assert_eq!(generate(&client, ENV_KEY).await.status, 200);
    assert_eq!(generate(&client, ENV_KEY).await.status, 429);

    // A validate-only key may not generate.
    let refused = generate(&client, &reader_secret).await;
    assert_eq!(
        (refused.status.as_u16(), refused.error_code()),
        (403, "insufficient_scope".into())
    );

    // A name is taken while active.
    let again = chittyid(
        &[
            "keys",
            "--data-dir",
            dir.path().to_str().expect("UTF-8"),
            "create",
            "--name",
            "reader",
        ],
        b"",
    );
    assert_eq!(again.code, 2, "{}", again.stdout);
    assert!(again.stderr.contains("exists already"), "{}", again.stderr);

    // The metrics count requests by key name, never by secret.
    let metrics =
        String::from_utf8(client.get("/metrics", None).await.body.to_vec()).expect("text");
    assert!(
        metrics
            .contains("chittyid_api_key_requests_total{key=\"chittychat\",scope=\"generate\"} 6\n"),
        "five generates and the one refused by the rate: {metrics}"
    );
    assert!(
        metrics.contains(
            "chittyid_api_key_requests_total{key=\"environment\",scope=\"generate\"} 3\n"
        ),
        "{metrics}"
    );
    assert!(
        !metrics.contains("chittyid_api_key_requests_total{key=\"reader\",scope=\"generate\"} 1"),
        "a request outside the key's scopes is not admitted: {metrics}"
    );
    for secret in [&chat_secret, &reader_secret, &ENV_KEY.to_owned()] {
        assert!(!metrics.contains(secret.as_str()));
    }

    // Rotation: the old secret works through the overlap, then is refused.
    let rotated = keys(
        dir.path(),
        &["rotate", "chittychat", "--overlap-seconds", "3"],
    );
    let new_secret = secret(&rotated);
    assert_eq!(rotated["ratePerMinute"], 5, "the rotation keeps the rate");
    assert_eq!(client.get(CANONICAL, Some(&chat_secret)).await.status, 200);
    becomes(&client, &new_secret, 200).await;
    becomes(&client, &chat_secret, 401).await;
    assert_eq!(client.get(CANONICAL, Some(&new_secret)).await.status, 200);

    // Revocation.
    let revoked = keys(dir.path(), &["revoke", "reader"]);
    assert_eq!(revoked["revoked"], 1);
    becomes(&client, &reader_secret, 401).await;

    let listed = keys(dir.path(), &["list"]);
    let text = listed.to_string();
    for secret in [&chat_secret, &new_secret, &reader_secret] {
        assert!(
            !text.contains(secret.as_str()),
            "no secret is listed: {text}"
        );
    }
    let statuses: Vec<(&str, &str)> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|k| {
            (
                k["name"].as_str().expect("name"),
                k["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("chittychat", "expired"),
            ("reader", "revoked"),
            ("chittychat", "active")
        ]
    );
    drop(_running);

    // The audit log names the key that minted, never its secret.
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("authority.db").display()
    ))
    .await
    .expect("open the store");
    let names: Vec<(Option<String>, String)> = sqlx::query_as(
        "SELECT key_name, outcome FROM audit_events_named WHERE action = 'generate' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .expect("read the audit log");
    let chat_minted = names
        .iter()
        .filter(|(name, outcome)| name.as_deref() == Some("chittychat") && outcome == "ok")
        .count();
    assert_eq!(chat_minted, 5, "{names:?}");
    assert!(
        names
            .iter()
            .any(|(name, outcome)| name.as_deref() == Some("chittychat")
                && outcome == "rate_limited"),
        "{names:?}"
    );
}

#[tokio::test]
async fn keys_go_to_the_store_the_gateway_would_use() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("UTF-8");
    // In front of a remote authority the gateway keeps its keys in gateway.db; the embedded
    // default in authority.db: `keys` picks the file the same way.
    let remote = chittyid(
        &[
            "keys",
            "--json",
            "--data-dir",
            data,
            "--service-url",
            "http://127.0.0.1:9/v1",
            "create",
            "--name",
            "remote-gw",
        ],
        b"",
    );
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    assert!(dir.path().join("gateway.db").exists());
    let listed = |extra: &[&str]| {
        let mut args = vec!["keys", "--json", "--data-dir", data];
        args.extend_from_slice(extra);
        args.push("list");
        let run = chittyid(&args, b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        serde_json::from_str::<Value>(run.stdout.trim()).expect("JSON")
    };
    assert_eq!(
        listed(&["--service-url", "http://127.0.0.1:9/v1"])[0]["name"],
        "remote-gw"
    );
    assert_eq!(
        listed(&[]),
        json!([]),
        "the embedded default's file holds none"
    );
    // With DATABASE_URL, PostgreSQL: shared by every gateway on it.
    let database = chittyid_postgres::testing::TestDatabase::create().await;
    let url = database.url().to_owned();
    let created = chittyid(
        &[
            "keys",
            "--json",
            "--database-url",
            &url,
            "create",
            "--name",
            "fleet",
        ],
        b"",
    );
    assert_eq!(created.code, 0, "{}", created.stderr);
    let run = chittyid(&["keys", "--json", "--database-url", &url, "list"], b"");
    let fleet: Value = serde_json::from_str(run.stdout.trim()).expect("JSON");
    assert_eq!(fleet[0]["name"], "fleet", "{fleet}");
}
