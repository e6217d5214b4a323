//! A v2.2.0-style JavaScript client (`tests/interop/client.mjs`, run with Node) pointed at the
//! gateway and at the authority, each as its `CHITTYID_SERVICE_URL`: it mints with `entity`,
//! `name` and `metadata`, validates, and reads health, unchanged.

use std::process::Command;

use serde_json::Value;

use super::helpers::{API_KEY, spawn_app};
use crate::authority::helpers::{TOKEN, settings as authority_settings, spawn_authority};

fn run_client(base_url: &str, token: &str) -> Value {
    let client = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/interop/client.mjs"
    );
    let output = Command::new("node")
        .arg(client)
        .env("CHITTYID_SERVICE_URL", base_url)
        .env("CHITTY_ID_TOKEN", token)
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "cannot run node ({err}): install Node.js (Debian's nodejs; scripts/test.sh does)"
            )
        });
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON line")
}

#[tokio::test]
async fn a_v2_2_0_client_works_against_the_gateway_given_a_bare_host() {
    let app = spawn_app().await;
    let base = format!("http://{}", app.client.address());
    let seen = tokio::task::spawn_blocking(move || run_client(&base, API_KEY))
        .await
        .expect("client");
    assert!(
        seen["base"]
            .as_str()
            .is_some_and(|b| b.ends_with("/api/v1")),
        "{seen}"
    );
    assert_eq!(seen["valid"], true, "{seen}");
    assert_eq!(seen["unknownValid"], false, "{seen}");
    assert_eq!(seen["health"], 200, "{seen}");
    app.stop().await;
}

/// The ChittyOS TypeScript client's requests (`tests/interop/ts_client.mjs`) at every base URL
/// it is given: its default shape (`https://host/v1`), a bare host (as the MCP agent passes
/// it), and `/api/v1`. It uses the URL as given, so each must serve `/mint`, `/mint/batch`,
/// `/validate/{id}` and `/health` beneath it.
#[tokio::test]
async fn the_typescript_client_works_at_every_base_url_it_is_given() {
    let app = spawn_app().await;
    let host = format!("http://{}", app.client.address());
    for base in [format!("{host}/v1"), host.clone(), format!("{host}/api/v1")] {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/interop/ts_client.mjs"
        );
        let run_base = base.clone();
        let output = tokio::task::spawn_blocking(move || {
            Command::new("node")
                .arg(script)
                .env("SERVICE_URL", &run_base)
                .env("API_KEY", API_KEY)
                .output()
        })
        .await
        .expect("task")
        .unwrap_or_else(|err| {
            panic!(
                "cannot run node ({err}): install Node.js (Debian's nodejs; scripts/test.sh does)"
            )
        });
        assert!(
            output.status.success(),
            "{base}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let seen: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
        assert_eq!(
            (
                &seen["valid"],
                &seen["validatedId"],
                &seen["entity"],
                &seen["health"]
            ),
            (
                &Value::Bool(true),
                &seen["id"],
                &Value::from("PLACE"),
                &Value::Bool(true)
            ),
            "{base}: {seen}"
        );
        assert_eq!(
            seen["batch"].as_array().map(Vec::len),
            Some(2),
            "{base}: {seen}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_v2_2_0_client_works_against_the_authority_and_its_name_is_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(authority_settings(dir.path())).await;
    let base = format!("http://{}/v1", authority.address());
    let seen = tokio::task::spawn_blocking(move || run_client(&base, TOKEN))
        .await
        .expect("client");
    assert_eq!(seen["valid"], true, "{seen}");
    let id = seen["id"].as_str().expect("an ID");
    let record = authority.validate(id).await.json();
    assert_eq!(record["name"], "Interop Document", "{record}");
    assert_eq!(record["entity"], "INFO");
    authority.stop().await;
}
