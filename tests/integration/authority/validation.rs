use serde_json::json;

use super::helpers::{settings, spawn_authority};

#[tokio::test]
async fn validate_says_whether_this_authority_minted_the_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let id = authority.mint_id("PROP").await;
    let minted = authority.validate(&id).await.json();
    assert_eq!(minted["valid"], true);
    assert_eq!(minted["mintedHere"], true);
    assert_eq!(minted["entity"], "PROP");
    assert_eq!(minted["entityType"], "T");

    let stranger = authority.validate("03-1-USA-0001-P-2602-0-85").await;
    assert_eq!(stranger.status, 200);
    let stranger = stranger.json();
    assert_eq!(
        (
            stranger["valid"].clone(),
            stranger["wellFormed"].clone(),
            stranger["mintedHere"].clone()
        ),
        (json!(false), json!(true), json!(false))
    );
    assert_eq!(stranger["error"]["code"], "not_minted_here");

    let malformed = authority.validate("03-1-USA-0001-P-2602-0-84").await.json();
    assert_eq!(malformed["wellFormed"], false);
    assert_eq!(malformed["error"]["code"], "checksum_mismatch");

    let client_pattern = authority.validate("CT-A-CHI-1234-I-24-A-0").await.json();
    assert_eq!(client_pattern["error"]["code"], "non_canonical_format");

    let encoded = authority.validate(&id.replace('-', "%2D")).await.json();
    assert_eq!(encoded["valid"], true, "percent-encoded IDs are decoded");

    // A slash a client left unencoded is part of the input, not another route's path.
    let slashed = authority.validate("03-1-USA/0001").await;
    assert_eq!(slashed.status, 200);
    let slashed = slashed.json();
    assert_eq!(
        (slashed["chittyId"].clone(), slashed["wellFormed"].clone()),
        (json!("03-1-USA/0001"), json!(false))
    );
    authority.stop().await;
}

#[tokio::test]
async fn ids_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let id = authority.mint_id("EVNT").await;
    authority.stop().await;
    let restarted = spawn_authority(settings(dir.path())).await;
    assert_eq!(restarted.validate(&id).await.json()["valid"], true);
    restarted.stop().await;
}

#[tokio::test]
async fn health_is_503_when_the_store_does_not_answer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    assert_eq!(authority.client.get("/v1/health", None).await.status, 200);
    // Break the store behind the authority's back.
    let database = dir.path().join(chittyid::authority::DATABASE_FILE);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display()))
        .await
        .expect("open");
    sqlx::query("DROP TABLE sequence_spaces")
        .execute(&pool)
        .await
        .expect("drop");
    // Health reads the writer's state, which its probe (every second when idle) refreshes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let health = loop {
        let health = authority.client.get("/v1/health", None).await;
        if health.status == 503 || std::time::Instant::now() > deadline {
            break health;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["status"], "unavailable");
    let mint = authority.mint(&json!({"entity": "THING"})).await;
    assert_eq!(
        (mint.status.as_u16(), mint.error_code()),
        (503, "store_unavailable".into())
    );
    assert!(mint.headers.contains_key("retry-after"));
    authority.stop().await;
}

#[tokio::test]
async fn the_openapi_document_is_served_and_is_the_committed_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let served = authority.client.get("/openapi.json", None).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.headers["content-type"], "application/json");
    let committed = include_str!("../../../docs/openapi/authority.json");
    assert_eq!(String::from_utf8_lossy(&served.body), committed.trim_end());
    authority.stop().await;
}

#[tokio::test]
async fn the_name_given_at_a_mint_is_answered_only_to_the_caller_that_minted_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = settings(dir.path());
    let other = "another-tenant-token-with-entropy";
    config.tokens.push(other.to_owned().into());
    let authority = spawn_authority(config).await;
    let minted = authority
        .mint(&json!({"entity": "PEO", "name": "Alice Example"}))
        .await;
    assert_eq!(minted.status, 200, "{}", minted.json());
    let id = minted.json()["chittyId"]
        .as_str()
        .expect("an ID")
        .to_owned();
    let own = authority.validate(&id).await.json();
    assert_eq!(
        (&own["valid"], &own["name"]),
        (&json!(true), &json!("Alice Example"))
    );
    let stranger = authority
        .client
        .get(&format!("/v1/validate/{id}"), Some(other))
        .await;
    assert_eq!(stranger.status, 200);
    let body = String::from_utf8(stranger.body.to_vec()).expect("UTF-8");
    let stranger = stranger.json();
    assert_eq!(
        (&stranger["valid"], &stranger["entity"]),
        (&json!(true), &json!("PEO")),
        "another caller still learns that it was minted"
    );
    assert!(stranger.get("name").is_none_or(serde_json::Value::is_null));
    assert!(!body.contains("Alice"), "{body}");
    authority.stop().await;
}
