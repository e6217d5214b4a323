use std::collections::HashSet;

use chittyid_domain::ChittyId;
use serde_json::json;

use super::helpers::{API_KEY, remote, settings, spawn_app, spawn_app_with};
use crate::authority::helpers::{TOKEN, settings as authority_settings, spawn_authority};

#[tokio::test]
async fn generate_returns_a_valid_id_with_its_type_letter() {
    let app = spawn_app().await;
    let answer = app
        .generate(&json!({"entity": "PEO", "metadata": {"name": "Ada"}}))
        .await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    let id = ChittyId::parse(body["chittyId"].as_str().expect("ID")).expect("canonical");
    assert_eq!(body["entityType"], "P");
    assert_eq!(body["entity"], "PEO");
    assert_eq!(body["did"], format!("did:chitty:{id}"));
    app.stop().await;
}

#[tokio::test]
async fn two_calls_give_different_ids_and_the_alias_works() {
    let app = spawn_app().await;
    let first = app.generate_id("PROP").await;
    let second = app
        .client
        .post_json("/api/id/mint", Some(API_KEY), &json!({"entity": "PROP"}))
        .await
        .json()["chittyId"]
        .as_str()
        .expect("ID")
        .to_owned();
    assert_ne!(first, second);
    app.stop().await;
}

#[tokio::test]
async fn every_entity_name_works_and_unknown_ones_get_the_v2_2_0_message() {
    let app = spawn_app().await;
    for name in [
        "PEO", "PLACE", "PROP", "EVNT", "AUTH", "INFO", "FACT", "CONTEXT", "ACTOR",
    ] {
        let id = app.generate_id(name).await;
        assert!(ChittyId::parse(&id).is_ok(), "{name}");
    }
    for (body, shown) in [
        (json!({"entity": "INVALID_TYPE"}), "INVALID_TYPE"),
        (json!({"entity": ""}), ""),
        (json!({"entity": null}), "null"),
    ] {
        let answer = app.generate(&body).await;
        assert_eq!(
            (answer.status.as_u16(), answer.error_code()),
            (400, "unsupported_entity_type".into())
        );
        assert_eq!(
            answer.json()["error"]["message"],
            format!(
                "Unsupported ChittyID entity type: {shown}. Use one of PEO, PLACE, PROP, EVNT, AUTH, INFO, FACT, CONTEXT, ACTOR."
            )
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_batch_generates_one_id_per_request() {
    let app = spawn_app().await;
    let answer = app
        .client
        .post_json(
            "/api/id/generate/batch",
            Some(API_KEY),
            &json!({"requests": [{"entity": "PEO"}, {"entity": "EVNT"}]}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.json());
    let ids = answer.json()["chittyIds"].as_array().expect("ids").clone();
    assert_eq!(ids.len(), 2);
    assert_eq!(answer.json()["results"][1]["entityType"], "E");
    app.stop().await;
}

/// The original rollout's staging check, with the embedded authority.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_generate_calls_give_a_hundred_distinct_valid_ids() {
    let app = spawn_app().await;
    let ids: HashSet<String> = app.concurrent_ids(100, "PEO").await.into_iter().collect();
    assert_eq!(ids.len(), 100);
    app.stop().await;
}

/// The same through an authority over HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_an_authority_over_http_too() {
    let authority_dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(authority_settings(authority_dir.path())).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("http://{}", authority.address());
    let app = spawn_app_with(remote(settings(&dir), url, TOKEN), dir).await;
    let ids: HashSet<String> = app.concurrent_ids(100, "INFO").await.into_iter().collect();
    assert_eq!(ids.len(), 100);
    // And the authority knows them: verification goes to it.
    let id = ids.iter().next().expect("one").clone();
    let verified = app.validate(&id, "?verify=true").await.json();
    assert_eq!(verified["authority"]["minted"], true);
    app.stop().await;
    authority.stop().await;
}

#[tokio::test]
async fn an_idempotency_key_gives_the_same_id_for_the_same_body_and_409_for_another() {
    let app = spawn_app().await;
    let send = |body: &'static str, key: &'static str, api_key: &'static str| {
        let client = app.client.clone();
        async move {
            client
                .send_with_headers(
                    http::Method::POST,
                    "/api/id/generate",
                    &[
                        ("authorization", &format!("Bearer {api_key}")),
                        ("content-type", "application/json"),
                        ("idempotency-key", key),
                    ],
                    body,
                )
                .await
        }
    };
    let first = send(r#"{"entity":"PEO"}"#, "intent-1", API_KEY).await;
    let again = send(r#"{"entity":"PEO"}"#, "intent-1", API_KEY).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.json()["chittyId"], again.json()["chittyId"]);
    // The same request written otherwise is the same request: what it asks for is compared,
    // as the authority compares it, not its bytes.
    let respaced = send("{ \"entity\" : \"PEO\" }\n", "intent-1", API_KEY).await;
    assert_eq!(respaced.status, 200, "{}", respaced.json());
    assert_eq!(first.json()["chittyId"], respaced.json()["chittyId"]);
    let other = send(r#"{"entity":"PROP"}"#, "intent-1", API_KEY).await;
    assert_eq!(
        (other.status.as_u16(), other.error_code()),
        (409, "idempotency_key_reused".into())
    );
    let fresh = send(r#"{"entity":"PEO"}"#, "intent-2", API_KEY).await;
    assert_ne!(fresh.json()["chittyId"], first.json()["chittyId"]);

    // Concurrent repeats of one intent: one ID.
    let tasks: Vec<_> = (0..10)
        .map(|_| tokio::spawn(send(r#"{"entity":"EVNT"}"#, "intent-3", API_KEY)))
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        let answer = task.await.expect("task");
        assert_eq!(answer.status, 200);
        ids.insert(answer.json()["chittyId"].as_str().expect("ID").to_owned());
    }
    assert_eq!(ids.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn generate_and_verify_are_audited_with_the_key_hash_only() {
    let app = spawn_app().await;
    let id = app.generate_id("PEO").await;
    let verified = app.validate(&id, "?verify=true").await;
    assert_eq!(verified.status, 200);
    let refused = app.generate(&json!({"entity": "NOPE"})).await;
    assert_eq!(
        refused.status, 400,
        "refused before the service: not an audited act"
    );
    let (audit, _dir) = app.stop_and_keep_audit().await;
    let events = audit.recent_audit_events(10).await.expect("read");
    let actions: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(actions, [("verify", "minted"), ("generate", "ok")]);
    assert_eq!(events[1].ids, [id]);
    assert_eq!(events[1].entity.as_deref(), Some("PEO"));
    let key_hash = chittyid_app::authority::CallerHash::of_token(API_KEY).to_hex();
    assert!(events.iter().all(|e| e.caller_hash == key_hash));
}

#[tokio::test]
async fn refusals_replays_and_cached_verifications_are_audited_before_they_are_answered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = super::helpers::settings(&dir);
    config.gateway.rate_limit_per_minute = Some(2);
    let app = super::helpers::spawn_app_with(config, dir).await;
    let shared = &app;
    let keyed = |key: &'static str, entity: &'static str| async move {
        shared.generate_keyed(key, &json!({"entity": entity})).await
    };
    let first = keyed("k1", "PEO").await;
    assert_eq!(first.status, 200);
    let id = first.json()["chittyId"].as_str().expect("id").to_owned();
    assert_eq!(keyed("k1", "PEO").await.status, 200, "a replay");
    assert_eq!(keyed("k1", "PLACE").await.status, 409, "another body");
    // Audit rows are read while the gateway still runs: acknowledged means already stored.
    assert_eq!(app.validate(&id, "?verify=true").await.status, 200);
    assert_eq!(app.validate(&id, "?verify=true").await.status, 200);
    app.generate_id("PEO").await;
    assert_eq!(app.generate(&json!({"entity": "PEO"})).await.status, 429);
    // The refusal's event does not hold up its answer: it is stored once the writer comes
    // round, which a flush waits for.
    chittyid_app::gateway::AuditSink::flush(&*app.audit.audit_sink())
        .await
        .expect("flushed");
    let events = app.audit.recent_audit_events(20).await.expect("read");
    let actions: Vec<(&str, &str)> = events
        .iter()
        .rev()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("generate", "ok"),
            ("generate", "replayed"),
            ("generate", "idempotency_conflict"),
            ("verify", "minted"),
            ("verify", "minted_cached"),
            ("generate", "ok"),
            ("generate", "rate_limited"),
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn the_readmes_generate_example_has_the_fields_a_generate_answers() {
    let readme = include_str!("../../../README.md");
    let example = readme
        .lines()
        .find_map(|line| line.strip_prefix("# {\"chittyId\""))
        .map(|rest| format!("{{\"chittyId\"{rest}"))
        .expect("the README shows a generate answer");
    let example: serde_json::Value = serde_json::from_str(&example).expect("JSON");
    let app = super::helpers::spawn_app().await;
    let answer = app.generate(&json!({"entity": "PEO"})).await.json();
    let keys = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        keys(&example),
        keys(&answer),
        "README: {example}\nserved: {answer}"
    );
    app.stop().await;
}
