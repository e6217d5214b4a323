//! `chittyid loadtest` against a real gateway: the report's counts, errors by code, the
//! thresholds and the exit status, and stdout holding only the report.

use std::process::Command;

use serde_json::Value;

use crate::gateway::helpers::{API_KEY, spawn_app};

struct Ran {
    code: i32,
    report: Value,
}

/// Runs `chittyid loadtest --json ARGS` against `url` (off the runtime: the gateway under test
/// runs on it).
async fn loadtest(url: String, args: &[&str]) -> Ran {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let output = Command::new(env!("CARGO_BIN_EXE_chittyid"))
            .args(["loadtest", "--json", "--url", &url])
            .args(&args)
            .output()
            .expect("the binary runs");
        let stdout = String::from_utf8(output.stdout).expect("UTF-8");
        assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout:?}");
        Ran {
            code: output.status.code().expect("exited"),
            report: serde_json::from_str(&stdout).expect("a JSON report"),
        }
    })
    .await
    .expect("joined")
}

#[tokio::test]
async fn a_load_that_all_succeeds_passes_and_reports_its_figures() {
    let app = spawn_app().await;
    let url = format!("http://{}", app.client.address());
    let dir = tempfile::tempdir().expect("temp dir");
    let ids_file = dir.path().join("ids.txt");
    let ran = loadtest(
        url.clone(),
        &[
            "--key",
            API_KEY,
            "--requests",
            "60",
            "--concurrency",
            "6",
            "--save-ids",
            ids_file.to_str().expect("UTF-8"),
        ],
    )
    .await;
    assert_eq!(ran.code, 0, "{}", ran.report);
    assert_eq!(ran.report["statuses"], serde_json::json!({"200": 60}));
    let ids = std::fs::read_to_string(&ids_file).expect("the IDs");
    let distinct: std::collections::BTreeSet<&str> = ids.lines().collect();
    assert_eq!((ids.lines().count(), distinct.len()), (60, 60));
    for id in distinct {
        assert!(chittyid_domain::ChittyId::parse(id).is_ok(), "{id}");
    }
    assert_eq!(
        (
            &ran.report["requests"],
            &ran.report["successes"],
            &ran.report["passed"]
        ),
        (&Value::from(60), &Value::from(60), &Value::from(true))
    );
    assert_eq!(ran.report["errors"], serde_json::json!({}));
    let (p50, p95, p99) = (
        ran.report["p50Ms"].as_f64().expect("p50"),
        ran.report["p95Ms"].as_f64().expect("p95"),
        ran.report["p99Ms"].as_f64().expect("p99"),
    );
    assert!(0.0 < p50 && p50 <= p95 && p95 <= p99, "{}", ran.report);
    assert!(ran.report["requestsPerSecond"].as_f64() > Some(0.0));
    let validate = loadtest(
        url,
        &[
            "--key",
            API_KEY,
            "--requests",
            "40",
            "--mode",
            "validate",
            "--verify",
        ],
    )
    .await;
    assert_eq!(validate.code, 0, "{}", validate.report);
    assert_eq!(validate.report["successes"], 40);
    app.stop().await;
}

#[tokio::test]
async fn errors_are_counted_by_code_and_missed_thresholds_exit_1() {
    let app = spawn_app().await;
    let url = format!("http://{}", app.client.address());
    let refused = loadtest(url.clone(), &["--key", "not-a-key", "--requests", "10"]).await;
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.report["errors"],
        serde_json::json!({"invalid_token": 10})
    );
    assert_eq!(refused.report["passed"], false);
    let too_strict = loadtest(
        url,
        &["--key", API_KEY, "--requests", "10", "--max-p95-ms", "0"],
    )
    .await;
    assert_eq!(too_strict.code, 1, "{}", too_strict.report);
    assert_eq!(too_strict.report["successes"], 10);
    let missed = too_strict.report["missed"].to_string();
    assert!(missed.contains("p95"), "{missed}");
    // Nothing listens here: every request is a connection failure, and the run says so.
    let port = crate::helpers::free_port();
    let nobody = loadtest(
        format!("http://127.0.0.1:{port}"),
        &["--key", API_KEY, "--requests", "5"],
    )
    .await;
    assert_eq!(nobody.code, 1);
    assert_eq!(
        nobody.report["errors"],
        serde_json::json!({"connection_failed": 5})
    );
    app.stop().await;
}

#[test]
fn a_key_no_header_can_carry_is_a_usage_error() {
    let run = crate::helpers::chittyid(
        &[
            "loadtest",
            "--url",
            "http://127.0.0.1:1",
            "--key",
            "bad\nkey",
            "--requests",
            "1",
        ],
        b"",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--key"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("bad"),
        "the key is not echoed: {}",
        run.stderr
    );
}

#[tokio::test]
async fn a_load_stopped_by_the_rate_limit_says_so_and_a_key_of_its_own_rate_passes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = chittyid::keys::open_store(dir.path(), None, false)
        .await
        .expect("the store opens");
    // What docs/operations.md says to do before the staging check.
    let loadtest_key = chittyid::keys::create(
        &store.api_key_store(),
        "loadtest",
        chittyid_app::gateway::Scopes::ALL,
        Some(0),
    )
    .await
    .expect("created");
    let mut config = crate::gateway::helpers::settings(&dir);
    config.gateway.rate_limit_per_minute = Some(100);
    let app = crate::gateway::helpers::spawn_app_with(config, dir).await;
    let url = format!("http://{}", app.client.address());
    let limited = loadtest(
        url.clone(),
        &["--key", API_KEY, "--requests", "150", "--concurrency", "10"],
    )
    .await;
    assert_eq!(limited.code, 1, "{}", limited.report);
    assert_eq!(limited.report["errors"]["rate_limited"], 50);
    let hint = limited.report["hint"].as_str().expect("a hint");
    assert!(
        hint.starts_with("50 requests were refused by the key's rate limit"),
        "{hint}"
    );
    assert!(
        hint.contains("chittyid keys create --name loadtest --rate 0"),
        "{hint}"
    );
    let passed = loadtest(
        url,
        &[
            "--key",
            &loadtest_key.secret,
            "--requests",
            "150",
            "--concurrency",
            "10",
        ],
    )
    .await;
    assert_eq!(passed.code, 0, "{}", passed.report);
    assert!(passed.report.get("hint").is_none());
    app.stop().await;
}
