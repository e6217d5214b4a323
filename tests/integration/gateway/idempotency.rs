//! Idempotency keys end to end: exactly one ID per key, through timeouts, unknown outcomes and
//! restarts.

use std::time::Duration;

use serde_json::json;

use super::fault_upstream::{FaultUpstream, Mode};
use super::helpers::{TestApp, remote, settings, spawn_app_with};
use crate::http_client::Answer;

async fn keyed(app: &TestApp, key: &str, entity: &str) -> Answer {
    app.generate_keyed(key, &json!({"entity": entity})).await
}

async fn gateway_for(upstream: &FaultUpstream) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    spawn_app_with(
        remote(settings(&dir), upstream.base_url(), "upstream-token"),
        dir,
    )
    .await
}

/// Waits until the gateway's monitor has read the authority's health answer.
async fn until_connected(app: &TestApp) {
    for _ in 0..100 {
        if app.client.get("/health", None).await.json()["connection"] == "CONNECTED" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the monitor never connected");
}

#[tokio::test]
async fn every_mint_carries_a_key_and_a_clients_key_maps_to_one_upstream_key() {
    let upstream = FaultUpstream::start(Mode::Healthy).await;
    upstream.honour_keys();
    let app = gateway_for(&upstream).await;
    until_connected(&app).await;
    app.generate_id("PEO").await;
    app.generate_id("PEO").await;
    let first = keyed(&app, "intent-1", "PEO").await;
    assert_eq!(first.status, 200);
    let keys = upstream.keys();
    assert_eq!(keys.len(), 3, "one key per request: {keys:?}");
    assert!(
        keys.iter().all(|k| k.starts_with("gw-") && k.len() == 35),
        "{keys:?}"
    );
    app.stop().await;
}

/// The authority honours keys: the first attempt mints and hangs, the retry with the same key
/// is answered with the ID minted by the first. One ID, and the client gets it.
#[tokio::test]
async fn a_mint_that_timed_out_is_retried_with_its_key_and_returns_the_minted_id() {
    let upstream = FaultUpstream::start(Mode::MintThenHang).await;
    upstream.honour_keys();
    let app = gateway_for(&upstream).await;
    until_connected(&app).await;
    let answer = keyed(&app, "intent-timeout", "PEO").await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let id = answer.json()["chittyId"].as_str().expect("ID").to_owned();
    let keys = upstream.keys();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        upstream.kept(&keys[0]),
        Some(id),
        "the ID minted by the first attempt"
    );
    assert_eq!(upstream.calls(), 2, "one timed-out attempt, one retry");
    app.stop().await;
}

/// An authority that does not honour keys: after a timeout the gateway cannot know whether it
/// minted, so a retry of the client's key is refused, never minted again.
#[tokio::test]
async fn an_unknown_outcome_is_never_answered_by_minting_again() {
    let upstream = FaultUpstream::start(Mode::MintThenHang).await;
    let app = gateway_for(&upstream).await;
    until_connected(&app).await;
    let first = keyed(&app, "intent-unknown", "PEO").await;
    assert_eq!(first.status, 504);
    upstream.set(Mode::Healthy);
    for _ in 0..2 {
        let again = keyed(&app, "intent-unknown", "PEO").await;
        assert_eq!(
            (again.status.as_u16(), again.error_code()),
            (409, "idempotency_outcome_unknown".into())
        );
    }
    assert_eq!(upstream.calls(), 1, "no second mint for the key");
    // A request that certainly minted nothing frees its key.
    upstream.set(Mode::Status(503));
    assert_eq!(keyed(&app, "intent-refused", "PEO").await.status, 503);
    upstream.set(Mode::Healthy);
    assert_eq!(keyed(&app, "intent-refused", "PEO").await.status, 200);
    app.stop().await;
}

/// With keys honoured, a key whose outcome is unknown is taken over by the next request with
/// it, which asks the authority with the same upstream key and gets the first ID.
#[tokio::test]
async fn a_key_left_unknown_gets_the_first_id_once_the_authority_answers() {
    let upstream = FaultUpstream::start(Mode::MintThenHang).await;
    upstream.honour_keys();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = remote(settings(&dir), upstream.base_url(), "upstream-token");
    // One attempt only: the request ends with a timeout and an unknown outcome.
    config.gateway.resilience.retry = chittyid_domain::resilience::RetryPolicy::try_new(
        1,
        chittyid_domain::resilience::Backoff::try_new(
            Duration::from_millis(10),
            2.0,
            Duration::ZERO,
            Duration::from_millis(50),
            chittyid_domain::resilience::Jitter::None,
        )
        .expect("valid"),
        Duration::from_millis(300),
        Some(Duration::from_millis(1_000)),
        Duration::from_secs(2),
    )
    .expect("valid");
    let app = spawn_app_with(config, dir).await;
    until_connected(&app).await;
    assert_eq!(keyed(&app, "intent-later", "PEO").await.status, 504);
    let keys = upstream.keys();
    let minted = upstream.kept(&keys[0]).expect("the first attempt minted");
    let again = keyed(&app, "intent-later", "PEO").await;
    assert_eq!(
        again.status,
        200,
        "{}",
        String::from_utf8_lossy(&again.body)
    );
    assert_eq!(again.json()["chittyId"], minted.as_str());
    assert_eq!(
        keyed(&app, "intent-later", "PEO").await.json()["chittyId"],
        minted.as_str()
    );
    app.stop().await;
}

#[tokio::test]
async fn keys_survive_a_restart_of_the_gateway() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = settings(&dir);
    let path = dir.path().to_path_buf();
    let app = spawn_app_with(config.clone(), dir).await;
    let first = keyed(&app, "intent-restart", "PEO").await;
    assert_eq!(first.status, 200);
    let (_, dir) = app.stop_and_keep_audit().await;
    assert_eq!(dir.path(), path);
    let restarted = spawn_app_with(config, dir).await;
    let again = keyed(&restarted, "intent-restart", "PEO").await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["chittyId"], first.json()["chittyId"]);
    let other_body = keyed(&restarted, "intent-restart", "PLACE").await;
    assert_eq!(other_body.status, 409);
    restarted.stop().await;
}
