use serde_json::json;

use super::helpers::{API_KEY, settings, spawn_app, spawn_app_with};

#[tokio::test]
async fn validation_is_local_and_names_every_shape() {
    let app = spawn_app().await;
    let valid = app.validate("03-1-USA-0001-P-2602-0-85", "").await.json();
    assert_eq!(
        (valid["valid"].clone(), valid["format"].clone()),
        (json!(true), json!("canonical"))
    );
    for (input, format, code) in [
        (
            "chitty_1234567890_abc123",
            "chitty_underscore",
            "non_canonical_format",
        ),
        ("CHITTY-INFO-123-ABC", "chitty_dash", "non_canonical_format"),
        (
            "CT-A-CHI-1234-I-24-A-0",
            "v2_2_0_client_pattern",
            "non_canonical_format",
        ),
        ("03-1-USA-0001-P-2602-0", "unknown", "segment_count"),
        ("03-1-USA-0001-PP-2602-0-85", "unknown", "segment_length"),
        ("03-1-USA-0001-P-2602-0-8", "unknown", "segment_length"),
        (
            "03-1-USA-0001-P-2602-0-84",
            "canonical",
            "checksum_mismatch",
        ),
    ] {
        let report = app.validate(input, "").await.json();
        assert_eq!(report["valid"], false, "{input}");
        assert_eq!(
            (report["format"].as_str(), report["error"]["code"].as_str()),
            (Some(format), Some(code)),
            "{input}"
        );
    }
    let typo = app.validate("03-1-USA-O001-P-2602-0-85", "").await.json();
    assert_eq!(typo["suggestion"], "03-1-USA-0001-P-2602-0-85");
    let legacy = app
        .validate("03-1-USA-0001-P-251-3-79", "?legacy=true")
        .await
        .json();
    assert_eq!(legacy["valid"], true);
    app.stop().await;
}

#[tokio::test]
async fn verification_asks_the_authority_once_then_the_cache() {
    let app = spawn_app().await;
    let id = app.generate_id("PEO").await;
    let first = app.validate(&id, "?verify=true").await.json();
    assert_eq!(first["authority"], json!({"minted": true, "cached": false}));
    let second = app.validate(&id, "?verify=true").await.json();
    assert_eq!(second["authority"], json!({"minted": true, "cached": true}));
    let stranger = app
        .validate("03-1-USA-0001-P-2602-0-85", "?verify=true")
        .await
        .json();
    assert_eq!(stranger["authority"]["minted"], false);
    assert_eq!(
        stranger["valid"], false,
        "well formed but not minted by the authority"
    );
    assert_eq!(
        stranger["error"]["code"], "not_minted",
        "an answer that says not valid says why: {stranger}"
    );
    assert_eq!(first["error"], json!(null));
    let health = app.client.get("/api/id/health", None).await.json();
    assert_eq!(health["resilience"]["cache"]["hits"], 1);
    assert_eq!(health["resilience"]["cache"]["hitRate"], "33.33%");
    app.stop().await;
}

#[tokio::test]
async fn batch_validation_reports_each_value_and_refuses_non_strings() {
    let app = spawn_app().await;
    let answer = app
        .client
        .post_json(
            "/api/id/validate",
            Some(API_KEY),
            &json!({"ids": ["03-1-USA-0001-P-2602-0-85", null, 5, {"id": 1}, ["x"], "CHITTY-INFO-123-ABC"]}),
        )
        .await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    let codes: Vec<Option<&str>> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["error"]["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            None,
            Some("not_a_string"),
            Some("not_a_string"),
            Some("not_a_string"),
            Some("not_a_string"),
            Some("non_canonical_format")
        ]
    );
    assert_eq!(
        (body["valid"].clone(), body["invalid"].clone()),
        (json!(1), json!(5))
    );
    let too_many: Vec<&str> = vec!["x"; 1_001];
    let refused = app
        .client
        .post_json("/api/id/validate", Some(API_KEY), &json!({"ids": too_many}))
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.error_code()),
        (400, "batch_size".into())
    );
    app.stop().await;
}

#[tokio::test]
async fn health_answers_without_a_key_in_the_spec_shape() {
    let app = spawn_app().await;
    let health = app.client.get("/health", None).await;
    assert_eq!(health.status, 200);
    let document = app.client.get("/api/id/health", None).await.json();
    assert_eq!(document["service"], "chittyid-service");
    assert_eq!(document["format"], "VV-G-LLL-SSSS-T-YM-C-X");
    assert_eq!(document["mode"], "pipeline-only");
    assert_eq!(document["entityTypes"].as_array().map(Vec::len), Some(9));
    assert_eq!(document["resilience"]["enabled"], true);
    assert_eq!(document["resilience"]["circuitBreaker"]["state"], "CLOSED");
    assert_eq!(document["resilience"]["cache"]["hitRate"], "0%");
    let metrics =
        String::from_utf8(app.client.get("/metrics", None).await.body.to_vec()).expect("text");
    assert!(!metrics.contains(API_KEY));
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_is_served_and_is_the_committed_one() {
    let app = spawn_app().await;
    let served = app.client.get("/openapi.json", None).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.headers["content-type"], "application/json");
    let committed = include_str!("../../../docs/openapi/gateway.json");
    assert_eq!(String::from_utf8_lossy(&served.body), committed.trim_end());
    app.stop().await;
}

#[tokio::test]
async fn reserved_patterns_are_refused_as_ids_counted_and_audited() {
    let app = spawn_app().await;
    let one = app
        .validate("00-0-SYS-1111-H-1111-1-1", "?verify=true")
        .await;
    assert_eq!(one.status, 200);
    let one = one.json();
    assert_eq!(
        (
            &one["valid"],
            &one["format"],
            &one["error"]["code"],
            &one["authority"]
        ),
        (
            &json!(false),
            &json!("reserved_pattern"),
            &json!("reserved_pattern"),
            &json!(null)
        )
    );
    let batch = app
        .client
        .post_json(
            "/api/id/validate",
            Some(API_KEY),
            &json!({"ids": ["99-9-TST-0001-P-2602-0-85", "03-1-USA-0001-P-2602-0-85"]}),
        )
        .await
        .json();
    assert_eq!(batch["results"][0]["error"]["code"], "reserved_pattern");
    assert_eq!((&batch["valid"], &batch["invalid"]), (&json!(1), &json!(1)));
    let v1 = app
        .client
        .get("/v1/validate/00-0-ADM-2222-K-0000-0-0", Some(API_KEY))
        .await
        .json();
    assert_eq!(
        (&v1["valid"], &v1["wellFormed"], &v1["error"]["code"]),
        (&json!(false), &json!(false), &json!("reserved_pattern"))
    );
    let metrics =
        String::from_utf8(app.client.get("/metrics", None).await.body.to_vec()).expect("text");
    for pattern in ["system_command", "test_mock", "admin_command"] {
        let series = format!("chittyid_suspicious_inputs_total{{pattern=\"{pattern}\"}} 1\n");
        assert!(metrics.contains(&series), "{series} in\n{metrics}");
    }
    let (audit, _dir) = app.stop_and_keep_audit().await;
    let events = audit.recent_audit_events(10).await.expect("read");
    let suspicious: Vec<(&str, Vec<String>)> = events
        .iter()
        .filter(|e| e.action == "suspicious_input")
        .map(|e| (e.outcome.as_str(), e.ids.clone()))
        .collect();
    assert_eq!(suspicious.len(), 3, "{events:?}");
    for (outcome, input) in [
        ("system_command", "00-0-SYS-1111-H-1111-1-1"),
        ("test_mock", "99-9-TST-0001-P-2602-0-85"),
        ("admin_command", "00-0-ADM-2222-K-0000-0-0"),
    ] {
        assert!(
            suspicious.contains(&(outcome, vec![input.to_owned()])),
            "{outcome} {input} in {suspicious:?}"
        );
    }
}

#[tokio::test]
async fn validation_has_a_budget_per_key_of_its_own() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = settings(&dir);
    config.gateway.validation_limit_per_minute = Some(5);
    config.api_keys = vec![API_KEY.to_owned().into(), "another-key".to_owned().into()];
    let app = spawn_app_with(config, dir).await;
    for _ in 0..3 {
        assert_eq!(
            app.validate("03-1-USA-0001-P-2602-0-85", "").await.status,
            200
        );
    }
    // A batch costs its size: two more fit, three do not.
    let batch = |ids: Vec<&str>, key: &'static str| {
        let client = app.client.clone();
        let ids: Vec<String> = ids.into_iter().map(str::to_owned).collect();
        async move {
            client
                .post_json("/api/id/validate", Some(key), &json!({ "ids": ids }))
                .await
        }
    };
    let too_many = batch(vec!["a", "b", "c"], API_KEY).await;
    assert_eq!(
        (too_many.status.as_u16(), too_many.error_code()),
        (429, "validation_rate_limited".into())
    );
    assert!(too_many.headers.contains_key("retry-after"));
    assert_eq!(batch(vec!["a", "b"], API_KEY).await.status, 200);
    for path in [
        "/api/id/validate/03-1-USA-0001-P-2602-0-85",
        "/v1/validate/03-1-USA-0001-P-2602-0-85",
        "/api/id/validate/03-1-USA-0001-P-2602-0-85?verify=true",
    ] {
        let limited = app.client.get(path, Some(API_KEY)).await;
        assert_eq!(
            (limited.status.as_u16(), limited.error_code()),
            (429, "validation_rate_limited".into()),
            "{path}"
        );
        let retry_after: u64 = limited.headers["retry-after"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&retry_after), "{retry_after}");
    }
    // A batch larger than the whole budget could never pass: 400, not a 429 to retry forever.
    let never = batch(vec!["a"; 6], "another-key").await;
    assert_eq!(
        (never.status.as_u16(), never.error_code()),
        (400, "batch_exceeds_validation_budget".into())
    );
    // Another key has its own budget, and generating is not validating.
    assert_eq!(
        app.client
            .get(
                "/api/id/validate/03-1-USA-0001-P-2602-0-85",
                Some("another-key")
            )
            .await
            .status,
        200
    );
    app.generate_id("PEO").await;
    let metrics =
        String::from_utf8(app.client.get("/metrics", None).await.body.to_vec()).expect("text");
    assert!(
        metrics.contains("chittyid_validation_refusals_total 4\n"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn repeated_suspicious_inputs_are_audited_as_samples_not_one_row_each() {
    let app = spawn_app().await;
    // Four batches of 1,000 reserved-pattern strings: what filled a disk at 25 MB/s.
    for round in 0..4 {
        let ids: Vec<String> = (0..1_000)
            .map(|n| format!("00-0-SYS-{:04}-H-{round}111-1-1", n % 10_000))
            .collect();
        let answer = app
            .client
            .post_json("/api/id/validate", Some(API_KEY), &json!({ "ids": ids }))
            .await;
        assert_eq!(answer.status, 200);
    }
    app.validate("99-9-TST-0001-P-2602-0-85", "").await;
    app.validate("99-9-TST-0002-P-2602-0-85", "").await;
    let metrics =
        String::from_utf8(app.client.get("/metrics", None).await.body.to_vec()).expect("text");
    assert!(
        metrics.contains("chittyid_suspicious_inputs_total{pattern=\"system_command\"} 4000\n"),
        "every input is counted: {metrics}"
    );
    let (audit, _dir) = app.stop_and_keep_audit().await;
    let events = audit.recent_audit_events(100).await.expect("read");
    let suspicious: Vec<_> = events
        .iter()
        .filter(|e| e.action == "suspicious_input")
        .collect();
    assert_eq!(
        suspicious.len(),
        2,
        "one event per pattern and key in a minute: {suspicious:?}"
    );
    let system = suspicious
        .iter()
        .find(|e| e.outcome == "system_command")
        .expect("the system commands");
    assert_eq!(
        system.ids.len(),
        chittyid_app::gateway::SUSPICIOUS_SAMPLES_PER_EVENT
    );
    assert_eq!(system.ids[0], "00-0-SYS-0000-H-0111-1-1");
}

#[tokio::test]
async fn query_flags_are_booleans_and_null_is_absent_in_a_body() {
    let app = spawn_app().await;
    let refused = app
        .validate("03-1-USA-0001-P-2602-0-85", "?verify=null")
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.error_code()),
        (400, "invalid_query".into())
    );
    for query in ["?verify=false", "?verify=0", "?legacy=true", "?verify"] {
        assert_eq!(
            app.validate("03-1-USA-0001-P-2602-0-85", query)
                .await
                .status,
            200,
            "{query}"
        );
    }
    let batch = app
        .client
        .post_json(
            "/api/id/validate",
            Some(API_KEY),
            &json!({"ids": ["03-1-USA-0001-P-2602-0-85"], "legacy": null}),
        )
        .await;
    assert_eq!(batch.status, 200, "{}", batch.json());
    app.stop().await;
}
