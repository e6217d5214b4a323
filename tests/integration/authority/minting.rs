use std::collections::HashSet;

use chittyid_domain::{ChittyId, YearMonth};
use serde_json::json;

use super::helpers::{TOKEN, settings, spawn_authority};

#[tokio::test]
async fn a_mint_returns_a_canonical_id_with_the_spec_fields() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let answer = authority
        .mint(&json!({"entity": "INFO", "metadata": {"case": 1}}))
        .await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    let id = ChittyId::parse(body["chittyId"].as_str().expect("chittyId")).expect("canonical");
    assert_eq!(body["entity"], "INFO");
    assert_eq!(body["entityType"], "T");
    assert_eq!(body["version"], "03");
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    assert_eq!(
        Some(id.year_month()),
        YearMonth::from_unix_seconds(now).ok()
    );
    assert_eq!(
        (
            id.region().digit(),
            id.jurisdiction().as_str(),
            id.trust_level().level()
        ),
        (1, "USA", 0)
    );
    authority.stop().await;
}

#[tokio::test]
async fn region_jurisdiction_and_trust_level_come_from_the_request_when_given() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let answer = authority
        .mint(&json!({"entity": "place", "region": 3, "jurisdiction": "DEU", "trustLevel": 4}))
        .await;
    let id = ChittyId::parse(answer.json()["chittyId"].as_str().expect("ID")).expect("canonical");
    assert_eq!(id.to_string()[..8], *"03-3-DEU");
    assert_eq!(id.entity_type().letter(), 'L');
    assert_eq!(id.trust_level().level(), 4);
    authority.stop().await;
}

#[tokio::test]
async fn every_entity_name_mints_its_type() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    for (name, letter) in [
        ("PEO", 'P'),
        ("PLACE", 'L'),
        ("PROP", 'T'),
        ("EVNT", 'E'),
        ("AUTH", 'A'),
        ("INFO", 'T'),
        ("FACT", 'T'),
        ("CONTEXT", 'P'),
        ("ACTOR", 'P'),
        ("person", 'P'),
        ("location", 'L'),
        ("thing", 'T'),
        ("event", 'E'),
        ("authority", 'A'),
        ("p", 'P'),
    ] {
        let id = ChittyId::parse(&authority.mint_id(name).await).expect("canonical");
        assert_eq!(id.entity_type().letter(), letter, "{name}");
    }
    authority.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_mints_and_a_restart_never_repeat_an_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut seen = HashSet::new();
    for round in 0..2 {
        let mut config = settings(dir.path());
        config.block_size = 16;
        let authority = spawn_authority(config).await;
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let client = authority.client.clone();
                tokio::spawn(async move {
                    let mut ids = Vec::new();
                    for _ in 0..10 {
                        let answer = client
                            .post_json("/v1/mint", Some(TOKEN), &json!({"entity": "PEO"}))
                            .await;
                        assert_eq!(answer.status, 200, "{}", answer.json());
                        ids.push(answer.json()["chittyId"].as_str().expect("ID").to_owned());
                    }
                    ids
                })
            })
            .collect();
        for task in tasks {
            for id in task.await.expect("task") {
                assert!(ChittyId::parse(&id).is_ok(), "{id}");
                assert!(seen.insert(id.clone()), "{id} minted twice (round {round})");
            }
        }
        authority.stop().await;
    }
    assert_eq!(seen.len(), 800);
}

#[tokio::test]
async fn sequences_do_not_count_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let mut sequences = Vec::new();
    for _ in 0..20 {
        let id = ChittyId::parse(&authority.mint_id("PEO").await).expect("canonical");
        sequences.push(id.sequence().value());
    }
    let steps_of_one = sequences.windows(2).filter(|w| w[1] == w[0] + 1).count();
    assert!(steps_of_one < 5, "{sequences:?}");
    authority.stop().await;
}

#[tokio::test]
async fn a_full_space_is_refused_clearly_and_stays_full_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let small = || {
        let mut config = settings(dir.path());
        config.space_capacity = 30;
        config.block_size = 8;
        config
    };
    let authority = spawn_authority(small()).await;
    let mut ids = HashSet::new();
    for _ in 0..30 {
        ids.insert(authority.mint_id("EVNT").await);
    }
    assert_eq!(ids.len(), 30);
    let refused = authority.mint(&json!({"entity": "EVNT"})).await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.error_code(), "sequence_space_exhausted");
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("is full"))
    );
    // Another space is unaffected.
    authority.mint_id("PEO").await;
    authority.stop().await;

    let restarted = spawn_authority(small()).await;
    assert_eq!(restarted.mint(&json!({"entity": "EVNT"})).await.status, 409);
    restarted.stop().await;
}

#[tokio::test]
async fn a_batch_mints_one_id_per_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let answer = authority
        .client
        .post_json(
            "/v1/mint/batch",
            Some(TOKEN),
            &json!({"requests": [{"entity": "PEO"}, {"entity": "PROP", "metadata": {"n": 2}}, {"entity": "AUTH"}]}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.json());
    let ids: Vec<String> = answer.json()["chittyIds"]
        .as_array()
        .expect("chittyIds")
        .iter()
        .map(|v| v.as_str().expect("ID").to_owned())
        .collect();
    let letters: Vec<char> = ids
        .iter()
        .map(|id| {
            ChittyId::parse(id)
                .expect("canonical")
                .entity_type()
                .letter()
        })
        .collect();
    assert_eq!(letters, ['P', 'T', 'A']);
    for id in &ids {
        assert_eq!(authority.validate(id).await.json()["valid"], true);
    }
    authority.stop().await;
}

#[tokio::test]
async fn the_token_file_is_created_once_and_read_afterwards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = settings(dir.path());
    config.tokens.clear();
    let first = chittyid::authority::AuthorityApplication::build(config.clone())
        .await
        .expect("starts");
    let (token, path) = first.created_token.clone().expect("a token was created");
    assert!(token.starts_with("cat_") && token.len() == 68);
    drop(first);
    let second = chittyid::authority::AuthorityApplication::build(config)
        .await
        .expect("starts");
    assert!(second.created_token.is_none());
    assert!(
        std::fs::read_to_string(path)
            .expect("token file")
            .contains(&token)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("authority-tokens"))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the token file is readable by its owner only"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_mints_share_transactions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let client = authority.client.clone();
            tokio::spawn(async move {
                client
                    .post_json("/v1/mint", Some(TOKEN), &json!({"entity": "PEO"}))
                    .await
                    .status
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task"), 200);
    }
    assert_eq!(
        authority.metric("chittyid_authority_mints_total").await,
        100
    );
    assert_eq!(
        authority
            .metric("chittyid_authority_store_records_total")
            .await,
        100
    );
    let transactions = authority
        .metric("chittyid_authority_store_transactions_total")
        .await;
    println!("100 concurrent mints: {transactions} transactions");
    assert!(transactions <= 100);
    assert!(!authority.metrics().await.contains(TOKEN));
    authority.stop().await;
}

#[tokio::test]
async fn the_refusal_counter_counts_refused_mints_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let name = "chittyid_authority_mints_refused_total";
    let unauthenticated = authority
        .client
        .get("/v1/validate/03-1-USA-0001-P-2602-0-85", None)
        .await;
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(authority.client.get("/nowhere", None).await.status, 404);
    assert_eq!(authority.metric(name).await, 0, "not a mint request");
    assert_eq!(authority.mint(&json!({"entity": "NOPE"})).await.status, 400);
    assert_eq!(authority.metric(name).await, 1);
    // Refused before the body is read (no token), and a batch with a bad key header: mints
    // refused too.
    let anonymous = authority
        .client
        .post_json("/v1/mint", None, &json!({"entity": "PEO"}))
        .await;
    assert_eq!(anonymous.status, 401);
    let bad_key = authority
        .client
        .send_with_headers(
            http::Method::POST,
            "/v1/mint/batch",
            &[
                ("authorization", &format!("Bearer {TOKEN}")),
                ("content-type", "application/json"),
                ("idempotency-key", ""),
            ],
            r#"{"requests":[{"entity":"PEO"}]}"#,
        )
        .await;
    assert_eq!(bad_key.status, 400);
    assert_eq!(authority.metric(name).await, 3);
    // Another method on a mint path is no mint.
    assert_eq!(
        authority.client.get("/v1/mint", Some(TOKEN)).await.status,
        405
    );
    assert_eq!(authority.metric(name).await, 3);
    authority.stop().await;
}

async fn keyed_mint(
    authority: &super::helpers::TestAuthority,
    path: &str,
    token: &str,
    key: &str,
    body: &serde_json::Value,
) -> crate::http_client::Answer {
    authority
        .client
        .send_with_headers(
            http::Method::POST,
            path,
            &[
                ("authorization", &format!("Bearer {token}")),
                ("content-type", "application/json"),
                ("idempotency-key", key),
            ],
            body.to_string(),
        )
        .await
}

#[tokio::test]
async fn an_idempotency_key_mints_once_per_caller_even_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = settings(dir.path());
    config
        .tokens
        .push("second-token-with-enough-entropy".to_owned().into());
    let authority = spawn_authority(config.clone()).await;
    let body = json!({"entity": "PEO", "metadata": {"n": 1}});
    let first = keyed_mint(&authority, "/v1/mint", TOKEN, "k-1", &body).await;
    assert_eq!(first.status, 200);
    let again = keyed_mint(&authority, "/v1/mint", TOKEN, "k-1", &body).await;
    assert_eq!(again.json()["chittyId"], first.json()["chittyId"]);
    assert_eq!(authority.metric("chittyid_authority_mints_total").await, 1);
    let other_body = keyed_mint(
        &authority,
        "/v1/mint",
        TOKEN,
        "k-1",
        &json!({"entity": "PEO"}),
    )
    .await;
    assert_eq!(
        (other_body.status.as_u16(), other_body.error_code()),
        (409, "idempotency_key_reused".into())
    );
    let other_caller = keyed_mint(
        &authority,
        "/v1/mint",
        "second-token-with-enough-entropy",
        "k-1",
        &body,
    )
    .await;
    assert_eq!(other_caller.status, 200);
    assert_ne!(other_caller.json()["chittyId"], first.json()["chittyId"]);
    let batch = json!({"requests": [{"entity": "PEO"}, {"entity": "PLACE"}]});
    let batch_first = keyed_mint(&authority, "/v1/mint/batch", TOKEN, "k-2", &batch).await;
    assert_eq!(batch_first.status, 200);
    authority.stop().await;

    let restarted = spawn_authority(config).await;
    let after = keyed_mint(&restarted, "/v1/mint", TOKEN, "k-1", &body).await;
    assert_eq!(after.json()["chittyId"], first.json()["chittyId"]);
    let batch_after = keyed_mint(&restarted, "/v1/mint/batch", TOKEN, "k-2", &batch).await;
    assert_eq!(
        batch_after.json()["chittyIds"],
        batch_first.json()["chittyIds"]
    );
    assert_eq!(restarted.metric("chittyid_authority_mints_total").await, 0);
    let health = restarted.client.get("/v1/health", None).await.json();
    assert_eq!(health["idempotencyKeys"], true);
    restarted.stop().await;
}

#[tokio::test]
async fn concurrent_mints_with_one_key_get_one_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = std::sync::Arc::new(spawn_authority(settings(dir.path())).await);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let authority = std::sync::Arc::clone(&authority);
            tokio::spawn(async move {
                let answer = keyed_mint(
                    &authority,
                    "/v1/mint",
                    TOKEN,
                    "shared",
                    &json!({"entity": "PEO"}),
                )
                .await;
                assert_eq!(answer.status, 200);
                answer.json()["chittyId"].as_str().expect("ID").to_owned()
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        ids.insert(task.await.expect("task"));
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
}

/// Found by schemathesis against the OpenAPI document: a repeated key made the store's health
/// check report a failed commit (503) until the next mint.
#[tokio::test]
async fn a_repeated_key_leaves_the_store_healthy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let body = json!({"entity": "PEO"});
    for _ in 0..2 {
        let answer = keyed_mint(&authority, "/v1/mint", TOKEN, "health-key", &body).await;
        assert_eq!(answer.status, 200);
    }
    assert_eq!(authority.client.get("/v1/health", None).await.status, 200);
    authority.stop().await;
}

/// JSON Schema's `integer` (the OpenAPI document's type) includes `3.0`; schemathesis sends it.
#[tokio::test]
async fn whole_numbers_written_as_decimals_are_accepted_and_fractions_are_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let minted = authority
        .mint(&json!({"entity": "PEO", "region": 3.0, "trustLevel": 4.0}))
        .await;
    assert_eq!(minted.status, 200);
    let id = ChittyId::parse(minted.json()["chittyId"].as_str().expect("ID")).expect("canonical");
    assert_eq!(id.as_str()[3..4], *"3");
    assert_eq!(id.as_str()[21..22], *"4");
    let fraction = authority
        .mint(&json!({"entity": "PEO", "region": 2.5}))
        .await;
    assert_eq!(
        (fraction.status.as_u16(), fraction.error_code()),
        (400, "invalid_region".into())
    );
    authority.stop().await;
}
