//! The ChittyOS callers' own request shapes on the compatibility routes (`/v1/mint`, `/mint`,
//! `/generate`), and the gateway's own `/api/id` contract staying strict.

use serde_json::{Value, json};

use super::helpers::{API_KEY, TestApp, settings, spawn_app, spawn_app_with};

async fn post(app: &TestApp, path: &str, body: &Value) -> crate::http_client::Answer {
    app.client.post_json(path, Some(API_KEY), body).await
}

/// The answer is a minted ID, readable as `chittyId`, `chitty_id` and `id`; its trust digit.
fn minted(answer: &crate::http_client::Answer) -> (String, String) {
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let body = answer.json();
    let id = body["chittyId"].as_str().expect("chittyId").to_owned();
    assert_eq!(body["chitty_id"], id, "{body}");
    assert_eq!(body["id"], id, "{body}");
    let trust = id.split('-').nth(6).expect("eight segments").to_owned();
    (id, trust)
}

#[tokio::test]
async fn the_entity_under_the_names_callers_give_it() {
    let app = spawn_app().await;
    // A worker: entityType, and fields of its own.
    minted(
        &post(
            &app,
            "/v1/mint",
            &json!({"entityType": "PEO", "nodeId": "node-7", "sessionContext": "s-1"}),
        )
        .await,
    );
    // A Python script: entity_type and trust_level.
    let (_, trust) = minted(
        &post(
            &app,
            "/v1/mint",
            &json!({"entity_type": "PLACE", "trust_level": 2}),
        )
        .await,
    );
    assert_eq!(trust, "2");
    // An MCP tool: type, with context and purpose.
    minted(
        &post(
            &app,
            "/api/v1/mint",
            &json!({"type": "EVNT", "context": {"tool": "mint"}, "purpose": "audit trail"}),
        )
        .await,
    );
    // Two names for the entity that disagree are refused, not guessed.
    let conflict = post(&app, "/v1/mint", &json!({"entity": "PEO", "type": "PLACE"})).await;
    assert_eq!(
        (conflict.status.as_u16(), conflict.error_code()),
        (400, "invalid_field".into())
    );
    // No entity at all, only a domain: not guessed.
    let guess = post(
        &app,
        "/v1/mint",
        &json!({"domain": "project", "subtype": "chittychat"}),
    )
    .await;
    assert_eq!(
        (guess.status.as_u16(), guess.error_code()),
        (400, "unsupported_entity_type".into())
    );
    // The gateway's own contract stays strict.
    let strict = post(&app, "/api/id/generate", &json!({"entityType": "PEO"})).await;
    assert_eq!(strict.status, 400, "{}", strict.json());
    let strict = post(
        &app,
        "/api/id/generate",
        &json!({"entity": "PEO", "nodeId": "n"}),
    )
    .await;
    assert_eq!(strict.error_code(), "unknown_field");
    app.stop().await;
}

#[tokio::test]
async fn the_paths_callers_post_to_with_or_without_a_trailing_slash() {
    let app = spawn_app().await;
    // The TypeScript client given the bare base URL, a worker, a certification service.
    for path in [
        "/mint",
        "/mint/",
        "/generate",
        "/generate/",
        "/v1/mint/",
        "/api/v1/mint/",
    ] {
        minted(&post(&app, path, &json!({"entity": "PEO"})).await);
    }
    let batch = post(
        &app,
        "/v1/mint/batch/",
        &json!({"requests": [{"entityType": "PEO"}, {"type": "PLACE", "nodeId": "n"}]}),
    )
    .await;
    assert_eq!(batch.status, 200, "{}", batch.json());
    assert_eq!(batch.json()["chittyIds"].as_array().map(Vec::len), Some(2));
    app.stop().await;
}

#[tokio::test]
async fn entity_names_outside_the_nine_are_mapped_by_the_operators_table_or_refused() {
    let app = spawn_app().await;
    // SESSION is a context by default.
    let session = post(&app, "/mint", &json!({"entity": "SESSION"})).await;
    minted(&session);
    assert_eq!(
        (&session.json()["entity"], &session.json()["entityType"]),
        (&json!("CONTEXT"), &json!("P"))
    );
    let case = post(&app, "/v1/mint", &json!({"entityType": "CASE"})).await;
    assert_eq!(
        (case.status.as_u16(), case.error_code()),
        (400, "unsupported_entity_type".into())
    );
    assert!(
        case.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--entity-alias CASE=")),
        "{}",
        case.json()
    );
    app.stop().await;

    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = settings(&dir);
    config.entity_aliases = vec!["CASE=EVNT".to_owned()];
    let app = spawn_app_with(config, dir).await;
    let case = post(&app, "/v1/mint", &json!({"entityType": "CASE"})).await;
    minted(&case);
    assert_eq!(case.json()["entityType"], "E");
    app.stop().await;
}

#[tokio::test]
async fn browsers_on_the_configured_origins_may_call_and_others_may_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = settings(&dir);
    config.cors_origins = vec!["https://explorer.example".to_owned()];
    let app = spawn_app_with(config, dir).await;
    let preflight = |origin: &'static str| {
        let client = app.client.clone();
        async move {
            client
                .send_with_headers(
                    http::Method::OPTIONS,
                    "/api/id/generate",
                    &[
                        ("origin", origin),
                        ("access-control-request-method", "POST"),
                        (
                            "access-control-request-headers",
                            "authorization,content-type",
                        ),
                    ],
                    bytes::Bytes::new(),
                )
                .await
        }
    };
    let allowed = preflight("https://explorer.example").await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.headers["access-control-allow-origin"],
        "https://explorer.example"
    );
    let headers = allowed.headers["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    let other = preflight("https://evil.example").await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
    let validated = app
        .client
        .send_with_headers(
            http::Method::GET,
            "/api/id/validate/03-1-USA-0001-P-2602-0-85",
            &[
                ("origin", "https://explorer.example"),
                ("authorization", &format!("Bearer {API_KEY}")),
            ],
            bytes::Bytes::new(),
        )
        .await;
    assert_eq!(validated.status, 200);
    assert_eq!(
        validated.headers["access-control-allow-origin"],
        "https://explorer.example"
    );
    app.stop().await;

    // None configured: no CORS answers at all.
    let app = spawn_app().await;
    let plain = app
        .client
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
    assert!(plain.headers.get("access-control-allow-origin").is_none());
    app.stop().await;
}

#[tokio::test]
async fn the_ways_callers_ask_whether_an_id_was_minted() {
    let app = spawn_app().await;
    // A certification service: its own v2 paths.
    let (id, _) = minted(&post(&app, "/api/v2/chittyid/mint", &json!({"entityType": "PEO"})).await);
    for field in ["chittyId", "chitty_id", "chittyid", "id"] {
        for path in ["/v1/validate", "/v1/validate/", "/api/v2/chittyid/verify"] {
            let answer = post(&app, path, &json!({ field: id })).await;
            assert_eq!(answer.status, 200, "{path} {field}: {}", answer.json());
            assert_eq!(
                (
                    &answer.json()["valid"],
                    &answer.json()["chittyId"],
                    &answer.json()["entityType"]
                ),
                (&json!(true), &json!(id), &json!("P")),
                "{path} {field}"
            );
        }
    }
    for path in [
        format!("/v1/lookup/{id}"),
        format!("/v1/{id}"),
        format!("/api/v1/{id}"),
    ] {
        let answer = app.client.get(&path, Some(API_KEY)).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.json()["valid"], true, "{path}");
    }
    let stranger = app
        .client
        .get("/v1/lookup/03-1-USA-0001-P-2602-0-85", Some(API_KEY))
        .await
        .json();
    assert_eq!(stranger["valid"], false);
    let nameless = post(&app, "/v1/validate", &json!({"identifier": id})).await;
    assert_eq!(
        (nameless.status.as_u16(), nameless.error_code()),
        (400, "invalid_field".into())
    );
    app.stop().await;
}

/// `/v1/validate/{id}` through the gateway answers what the authority says of a minted ID:
/// the entity asked for and when it was minted, from the authority and again from the cache,
/// with the authority in the process and over HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_answers_the_authoritys_entity_and_minting_time() {
    use crate::authority::helpers::{TOKEN, settings as authority_settings, spawn_authority};
    let authority_dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(authority_settings(authority_dir.path())).await;
    let remote_dir = tempfile::tempdir().expect("temp dir");
    let url = format!("http://{}", authority.address());
    let remote = spawn_app_with(
        super::helpers::remote(settings(&remote_dir), url, TOKEN),
        remote_dir,
    )
    .await;
    let embedded = spawn_app().await;
    for app in [&embedded, &remote] {
        let before = now_to_the_second();
        let (id, _) = minted(&post(app, "/v1/mint", &json!({"entity": "PROP"})).await);
        for cached in [false, true] {
            let answer = app
                .client
                .get(&format!("/v1/validate/{id}"), Some(API_KEY))
                .await
                .json();
            assert_eq!(
                (&answer["valid"], &answer["cached"], &answer["entity"]),
                (&json!(true), &json!(cached), &json!("PROP")),
                "{answer}"
            );
            let minted_at = answer["mintedAt"].as_str().expect("mintedAt");
            assert!(
                minted_at.len() == 24 && minted_at.ends_with('Z') && *minted_at >= *before,
                "{minted_at} (minted after {before})"
            );
        }
        // Not minted: neither is said.
        let stranger = app
            .client
            .get("/v1/validate/03-1-USA-0001-P-2602-0-85", Some(API_KEY))
            .await
            .json();
        assert_eq!(stranger["valid"], false);
        assert!(
            stranger.get("entity").is_none() && stranger.get("mintedAt").is_none(),
            "{stranger}"
        );
    }
    remote.stop().await;
    embedded.stop().await;
    authority.stop().await;
}

/// The current time as RFC 3339 to the second (`2026-11-30T01:02:03`), which sorts as text
/// before any millisecond time at or after it.
fn now_to_the_second() -> String {
    let unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    let full = chittyid_app::rfc3339::rfc3339_millis(i64::try_from(unix_ms).expect("fits"));
    full[..19].to_owned()
}

/// `GET /v1/permissions`, as a ChittyOS init script asks before minting: it greps the answer
/// for `"can_mint":true`, written without spaces.
#[tokio::test]
async fn permissions_say_what_the_callers_key_may_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let reader = super::helpers::stored_key(dir.path(), "reader", "validate").await;
    let app = spawn_app_with(settings(&dir), dir).await;
    for path in ["/v1/permissions", "/api/v1/permissions"] {
        let minter = app.client.get(path, Some(API_KEY)).await;
        assert_eq!(minter.status, 200, "{path}");
        let text = String::from_utf8_lossy(&minter.body).into_owned();
        assert!(text.contains(r#""can_mint":true"#), "{path}: {text}");
        assert_eq!(
            minter.json()["scopes"],
            json!(["generate", "validate", "metrics"])
        );
        let read_only = app.client.get(path, Some(&reader)).await.json();
        assert_eq!(
            (
                &read_only["can_mint"],
                &read_only["can_validate"],
                &read_only["scopes"]
            ),
            (&json!(false), &json!(true), &json!(["validate"])),
            "{read_only}"
        );
        let anonymous = app.client.get(path, None).await;
        assert_eq!(
            (anonymous.status.as_u16(), anonymous.error_code()),
            (401, "missing_token".into())
        );
    }
    app.stop().await;
}

/// `GET /api/generate?region=1&jurisdiction=USA&type=P&trust=3&identifier=...`, as the ChittyOS
/// schema tools send it: they read `success`, then `chittyId`, and throw `message` otherwise.
#[tokio::test]
async fn a_mint_asked_in_the_query_as_the_schema_tools_do() {
    let app = spawn_app().await;
    let answer = app
        .client
        .get(
            "/api/generate?region=1&jurisdiction=USA&type=P&trust=3&identifier=PIN%3A1234+A",
            Some(API_KEY),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.json());
    let body = answer.json();
    assert_eq!(body["success"], true, "{body}");
    let id = body["chittyId"].as_str().expect("chittyId");
    let segments: Vec<&str> = id.split('-').collect();
    // Region 1, USA, a person, trust level 3.
    assert_eq!(
        (segments[1], segments[2], segments[4], segments[6]),
        ("1", "USA", "P", "3"),
        "{id}"
    );
    assert_eq!(body["chitty_id"], id);
    // The ID was minted through the authority and answers as such.
    let verified = app
        .client
        .get(&format!("/v1/validate/{id}"), Some(API_KEY))
        .await
        .json();
    assert_eq!(verified["valid"], true, "{verified}");
    // Refusals in the same shape: no key (as these callers send it), an entity it cannot map.
    let anonymous = app
        .client
        .get("/api/generate?type=P&identifier=x", None)
        .await;
    let refused = anonymous.json();
    assert_eq!(
        (
            anonymous.status.as_u16(),
            &refused["success"],
            &refused["error"]["code"]
        ),
        (401, &json!(false), &json!("missing_token")),
        "{refused}"
    );
    assert!(
        refused["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{refused}"
    );
    let unmapped = app
        .client
        .get("/api/generate?type=D&identifier=2024D007847", Some(API_KEY))
        .await;
    let refused = unmapped.json();
    assert_eq!(
        (
            unmapped.status.as_u16(),
            &refused["success"],
            &refused["error"]["code"]
        ),
        (400, &json!(false), &json!("unsupported_entity_type")),
        "{refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("--entity-alias D=")),
        "{refused}"
    );
    app.stop().await;
}
