use http::Method;
use serde_json::json;

use super::helpers::{API_KEY, settings, spawn_app, spawn_app_with};

#[tokio::test]
async fn api_keys_are_required_and_checked() {
    let app = spawn_app().await;
    let body = json!({"entity": "PEO"});
    let missing = app.client.post_json("/api/id/generate", None, &body).await;
    assert_eq!(
        (missing.status.as_u16(), missing.error_code()),
        (401, "missing_token".into())
    );
    let wrong = app
        .client
        .post_json("/api/id/generate", Some("nope"), &body)
        .await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.error_code()),
        (401, "invalid_token".into())
    );
    assert_eq!(app.client.get("/api/id/validate/x", None).await.status, 401);
    app.stop().await;
}

#[tokio::test]
async fn the_rate_limit_refuses_with_retry_after_and_batches_count_their_size_up_to_the_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = settings(&dir);
    config.gateway.rate_limit_per_minute = Some(5);
    let app = spawn_app_with(config, dir).await;
    for _ in 0..5 {
        app.generate_id("PEO").await;
    }
    let limited = app.generate(&json!({"entity": "PEO"})).await;
    assert_eq!(
        (limited.status.as_u16(), limited.error_code()),
        (429, "rate_limited".into())
    );
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=12).contains(&retry_after), "{retry_after}");
    app.stop().await;

    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = settings(&dir);
    config.gateway.rate_limit_per_minute = Some(3);
    let app = spawn_app_with(config, dir).await;
    let batch = |size: usize| {
        let requests: Vec<_> = (0..size).map(|_| json!({"entity": "PEO"})).collect();
        let client = app.client.clone();
        async move {
            client
                .post_json(
                    "/api/id/generate/batch",
                    Some(API_KEY),
                    &json!({"requests": requests}),
                )
                .await
        }
    };
    // Larger than the whole limit: a 429 would never clear, so it is a 400 that says why.
    let never = batch(4).await;
    assert_eq!(
        (never.status.as_u16(), never.error_code()),
        (400, "batch_exceeds_rate_limit".into())
    );
    assert!(
        never.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("batches of at most 3"))
    );
    assert_eq!(batch(3).await.status, 200, "the refused batch cost nothing");
    assert_eq!(batch(2).await.status, 429);
    app.stop().await;
}

#[tokio::test]
async fn no_rate_limit_when_turned_off() {
    let app = spawn_app().await;
    for _ in 0..150 {
        app.generate_id("PEO").await;
    }
    app.stop().await;
}

#[tokio::test]
async fn bodies_are_bounded_and_typed() {
    let app = spawn_app().await;
    let auth = format!("Bearer {API_KEY}");
    let huge = format!(
        "{{\"entity\":\"PEO\",\"metadata\":{{\"x\":\"{}\"}}}}",
        "a".repeat(40_000)
    );
    let answer = app
        .client
        .send_with_headers(
            Method::POST,
            "/api/id/generate",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            huge,
        )
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.error_code()),
        (413, "body_too_large".into())
    );
    let metadata = app
        .generate(&json!({"entity": "PEO", "metadata": {"x": "a".repeat(11_000)}}))
        .await;
    assert_eq!(
        (metadata.status.as_u16(), metadata.error_code()),
        (413, "metadata_too_large".into())
    );
    let text = app
        .client
        .send_with_headers(
            Method::POST,
            "/api/id/generate",
            &[("authorization", &auth), ("content-type", "text/plain")],
            "{}",
        )
        .await;
    assert_eq!(text.status, 415);
    let malformed = app
        .client
        .send_with_headers(
            Method::POST,
            "/api/id/generate",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            "{",
        )
        .await;
    assert_eq!(
        (malformed.status.as_u16(), malformed.error_code()),
        (400, "invalid_json".into())
    );
    let long_key = "k".repeat(300);
    let bad_key = app
        .client
        .send_with_headers(
            Method::POST,
            "/api/id/generate",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
                ("idempotency-key", &long_key),
            ],
            r#"{"entity":"PEO"}"#,
        )
        .await;
    assert_eq!(
        (bad_key.status.as_u16(), bad_key.error_code()),
        (400, "invalid_idempotency_key".into())
    );
    app.stop().await;
}

#[tokio::test]
async fn a_file_of_key_hashes_admits_those_keys_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hashes = dir.path().join("keys.sha256");
    let hash = chittyid_app::authority::CallerHash::of_token("from-the-file").to_hex();
    std::fs::write(&hashes, format!("# operators' keys\n{hash}\n")).expect("write");
    let mut config = settings(&dir);
    config.api_keys.clear();
    config.api_key_hashes_file = Some(hashes.clone());
    let app = spawn_app_with(config, dir).await;
    let body = json!({"entity": "PEO"});
    let admitted = app
        .client
        .post_json("/api/id/generate", Some("from-the-file"), &body)
        .await;
    assert_eq!(admitted.status, 200);
    let refused = app
        .client
        .post_json("/api/id/generate", Some(API_KEY), &body)
        .await;
    assert_eq!(refused.status, 401);
    app.stop().await;
}

#[tokio::test]
async fn a_bad_entry_in_the_key_hash_file_stops_the_start_and_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hashes = dir.path().join("keys.sha256");
    std::fs::write(&hashes, "# keys\nnot-a-hash\n").expect("write");
    let mut config = settings(&dir);
    config.api_keys.clear();
    config.api_key_hashes_file = Some(hashes);
    let err = chittyid::gateway::GatewayApplication::build(config)
        .await
        .expect_err("a bad hash");
    assert!(
        format!("{err:#}").contains("\"not-a-hash\" is not a SHA-256 hex digest"),
        "{err:#}"
    );
}

#[tokio::test]
async fn metrics_can_be_kept_to_keys_with_the_metrics_scope() {
    let dir = tempfile::tempdir().expect("temp dir");
    let validate_only = super::helpers::stored_key(dir.path(), "reader", "validate").await;
    let scraper = super::helpers::stored_key(dir.path(), "prometheus", "metrics").await;
    let mut config = settings(&dir);
    config.metrics_require_key = true;
    let app = spawn_app_with(config, dir).await;
    assert_eq!(
        app.client.get("/metrics", None).await.error_code(),
        "missing_token"
    );
    let refused = app.client.get("/metrics", Some(&validate_only)).await;
    assert_eq!(
        (refused.status.as_u16(), refused.error_code()),
        (403, "insufficient_scope".into())
    );
    let scraped = app.client.get("/metrics", Some(&scraper)).await;
    assert_eq!(scraped.status, 200);
    assert!(String::from_utf8_lossy(&scraped.body).contains("chittyid_ready"));
    // A metrics key may not generate.
    let generate = app
        .client
        .post_json(
            "/api/id/generate",
            Some(&scraper),
            &json!({"entity": "PEO"}),
        )
        .await;
    assert_eq!(generate.status, 403);
    assert_eq!(app.client.get("/metrics", Some(API_KEY)).await.status, 200);
    app.stop().await;
}
