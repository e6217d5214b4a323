//! Bad input and bad credentials: a 4xx JSON error with a code and a message, every time.

use http::Method;
use serde_json::json;

use super::helpers::{TOKEN, settings, spawn_authority};

#[tokio::test]
async fn bad_bodies_get_named_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let client = &authority.client;
    let json_type = Some("application/json");

    let malformed = client
        .send(
            Method::POST,
            "/v1/mint",
            Some(TOKEN),
            json_type,
            "{\"entity\": ",
        )
        .await;
    assert_eq!(
        (malformed.status.as_u16(), malformed.error_code()),
        (400, "invalid_json".into())
    );

    let unknown_field = authority
        .mint(&json!({"entity": "PEO", "colour": "red"}))
        .await;
    assert_eq!(
        (unknown_field.status.as_u16(), unknown_field.error_code()),
        (400, "unknown_field".into())
    );

    let wrong_type = client
        .send(
            Method::POST,
            "/v1/mint",
            Some(TOKEN),
            Some("text/plain"),
            r#"{"entity":"PEO"}"#,
        )
        .await;
    assert_eq!(
        (wrong_type.status.as_u16(), wrong_type.error_code()),
        (415, "unsupported_media_type".into())
    );
    let no_type = client
        .send(
            Method::POST,
            "/v1/mint",
            Some(TOKEN),
            None,
            r#"{"entity":"PEO"}"#,
        )
        .await;
    assert_eq!(no_type.status, 415);
    let with_charset = client
        .send(
            Method::POST,
            "/v1/mint",
            Some(TOKEN),
            Some("application/json; charset=utf-8"),
            r#"{"entity":"PEO"}"#,
        )
        .await;
    assert_eq!(with_charset.status, 200);

    let huge_body = client
        .send(
            Method::POST,
            "/v1/mint",
            Some(TOKEN),
            json_type,
            format!(
                "{{\"entity\":\"PEO\",\"metadata\":{{\"x\":\"{}\"}}}}",
                "a".repeat(40_000)
            ),
        )
        .await;
    assert_eq!(
        (huge_body.status.as_u16(), huge_body.error_code()),
        (413, "body_too_large".into())
    );

    let big_metadata = authority
        .mint(&json!({"entity": "PEO", "metadata": {"x": "a".repeat(11_000)}}))
        .await;
    assert_eq!(
        (big_metadata.status.as_u16(), big_metadata.error_code()),
        (413, "metadata_too_large".into())
    );

    let list_metadata = authority
        .mint(&json!({"entity": "PEO", "metadata": [1, 2]}))
        .await;
    assert_eq!(
        (list_metadata.status.as_u16(), list_metadata.error_code()),
        (400, "invalid_metadata".into())
    );

    for (body, code) in [
        (json!({"entity": "PEO", "region": 0}), "invalid_region"),
        (
            json!({"entity": "PEO", "jurisdiction": "us"}),
            "invalid_jurisdiction",
        ),
        // Three letters, but no country: not minted for.
        (
            json!({"entity": "PEO", "jurisdiction": "ZZZ"}),
            "invalid_jurisdiction",
        ),
        (
            json!({"entity": "PEO", "trustLevel": 9}),
            "invalid_trust_level",
        ),
        (json!({"entity": "PEO", "region": "north"}), "invalid_field"),
    ] {
        let answer = authority.mint(&body).await;
        assert_eq!(
            (answer.status.as_u16(), answer.error_code()),
            (400, code.to_owned()),
            "{body}"
        );
    }
    authority.stop().await;
}

#[tokio::test]
async fn unknown_empty_and_null_entities_get_the_v2_2_0_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    for (body, shown) in [
        (json!({"entity": "INVALID_TYPE"}), "INVALID_TYPE"),
        (json!({"entity": ""}), ""),
        (json!({"entity": null}), "null"),
        (json!({}), "null"),
        (json!({"entity": 5}), "5"),
    ] {
        let answer = authority.mint(&body).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.error_code(), "unsupported_entity_type");
        assert_eq!(
            answer.json()["error"]["message"],
            format!(
                "Unsupported ChittyID entity type: {shown}. Use one of PEO, PLACE, PROP, EVNT, AUTH, INFO, FACT, CONTEXT, ACTOR."
            )
        );
    }
    authority.stop().await;
}

#[tokio::test]
async fn batches_are_bounded_and_all_or_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let post = |body: serde_json::Value| {
        let client = authority.client.clone();
        async move { client.post_json("/v1/mint/batch", Some(TOKEN), &body).await }
    };
    let too_many: Vec<_> = (0..101).map(|_| json!({"entity": "PEO"})).collect();
    let answer = post(json!({"requests": too_many})).await;
    assert_eq!(
        (answer.status.as_u16(), answer.error_code()),
        (400, "batch_size".into())
    );
    let answer = post(json!({"requests": []})).await;
    assert_eq!(
        (answer.status.as_u16(), answer.error_code()),
        (400, "batch_size".into())
    );
    let answer = post(json!({"requests": [{"entity": "PEO"}, {"entity": "NOPE"}]})).await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("requests[1]"))
    );
    assert_eq!(
        authority.metric("chittyid_authority_mints_total").await,
        0,
        "nothing was minted"
    );
    authority.stop().await;
}

#[tokio::test]
async fn missing_or_wrong_tokens_get_401_and_health_needs_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let body = json!({"entity": "PEO"});
    let missing = authority.client.post_json("/v1/mint", None, &body).await;
    assert_eq!(
        (missing.status.as_u16(), missing.error_code()),
        (401, "missing_token".into())
    );
    assert_eq!(
        missing
            .headers
            .get("www-authenticate")
            .map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    let wrong = authority
        .client
        .post_json("/v1/mint", Some("not-the-token"), &body)
        .await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.error_code()),
        (401, "invalid_token".into())
    );
    assert!(!String::from_utf8_lossy(&wrong.body).contains("not-the-token"));
    let validate = authority
        .client
        .get("/v1/validate/03-1-USA-0001-P-2602-0-85", None)
        .await;
    assert_eq!(validate.status, 401);
    let health = authority.client.get("/v1/health", None).await;
    assert_eq!(
        (health.status.as_u16(), health.json()["status"].clone()),
        (200, json!("ok"))
    );
    authority.stop().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_get_json_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let missing = authority.client.get("/v2/mint", Some(TOKEN)).await;
    assert_eq!(
        (missing.status.as_u16(), missing.error_code()),
        (404, "not_found".into())
    );
    let wrong_method = authority.client.get("/v1/mint", Some(TOKEN)).await;
    assert_eq!(
        (wrong_method.status.as_u16(), wrong_method.error_code()),
        (405, "method_not_allowed".into())
    );
    authority.stop().await;
}
