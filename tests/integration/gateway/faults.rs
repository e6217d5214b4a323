//! Every upstream fault gives its documented status within the configured bounds, and the
//! breaker opens and recovers as configured.

use std::time::{Duration, Instant};

use serde_json::json;

use super::fault_upstream::{FaultUpstream, Mode, refusing_address};
use super::helpers::{TestApp, remote, settings, spawn_app_with};

async fn gateway_for(url: String) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    spawn_app_with(remote(settings(&dir), url, "upstream-token"), dir).await
}

/// Generates once and returns status, code and how long it took.
async fn attempt(app: &TestApp) -> (u16, String, Duration) {
    let started = Instant::now();
    let answer = app.generate(&json!({"entity": "PEO"})).await;
    let code = if answer.status.is_success() {
        String::new()
    } else {
        answer.error_code()
    };
    (answer.status.as_u16(), code, started.elapsed())
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_answered_503_fast() {
    let app = gateway_for(format!("http://{}/v1", refusing_address().await)).await;
    let (status, code, took) = attempt(&app).await;
    assert_eq!((status, code.as_str()), (503, "upstream_unavailable"));
    // The configured bound: a 1 s deadline for the whole retry sequence (plus slack for a
    // loaded machine); this checks the bound is enforced, not how fast the path is.
    assert!(took < Duration::from_secs(2), "{took:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_hanging_upstream_gives_504_within_the_attempt_timeout_and_is_not_retried() {
    let upstream = FaultUpstream::start(Mode::Hang).await;
    let app = gateway_for(upstream.base_url()).await;
    let (status, code, took) = attempt(&app).await;
    assert_eq!((status, code.as_str()), (504, "upstream_timeout"));
    // The configured bound: 300 ms per attempt within a 1 s deadline (plus slack); without the
    // timeout the upstream would hang for an hour.
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(
        upstream.calls(),
        1,
        "a mint that may have happened is not repeated"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_slow_upstream_within_the_timeout_is_fine() {
    let upstream = FaultUpstream::start(Mode::Slow(Duration::from_millis(50))).await;
    let app = gateway_for(upstream.base_url()).await;
    assert_eq!(attempt(&app).await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn server_errors_garbage_and_malformed_ids_are_502_and_never_passed_on() {
    for (mode, code) in [
        (Mode::Status(500), "bad_upstream"),
        (Mode::GarbageJson, "bad_upstream"),
        (Mode::MalformedId, "bad_upstream"),
        (Mode::Status(401), "upstream_auth"),
    ] {
        let upstream = FaultUpstream::start(mode).await;
        let app = gateway_for(upstream.base_url()).await;
        let answer = app.generate(&json!({"entity": "PEO"})).await;
        assert_eq!(
            (answer.status.as_u16(), answer.error_code()),
            (502, code.to_owned()),
            "{mode:?}"
        );
        assert!(
            !String::from_utf8_lossy(&answer.body).contains("CT-A-CHI"),
            "the bad ID is not passed on"
        );
        app.stop().await;
    }
}

/// The scripted authority always mints persons: asked for a place, its answer is wrong.
#[tokio::test]
async fn answers_that_do_not_match_their_request_are_502_and_count_at_the_breaker() {
    let upstream = FaultUpstream::start(Mode::Healthy).await;
    let app = gateway_for(upstream.base_url()).await;
    let wrong_type = app.generate(&json!({"entity": "PLACE"})).await;
    assert_eq!(
        (wrong_type.status.as_u16(), wrong_type.error_code()),
        (502, "bad_upstream".into())
    );
    assert!(!String::from_utf8_lossy(&wrong_type.body).contains("-P-"));
    upstream.set(Mode::DuplicateBatch);
    let batch = json!({"requests": [{"entity": "PEO"}, {"entity": "PEO"}]});
    let repeated = app
        .client
        .post_json(
            "/api/id/generate/batch",
            Some(super::helpers::API_KEY),
            &batch,
        )
        .await;
    assert_eq!(
        (repeated.status.as_u16(), repeated.error_code()),
        (502, "bad_upstream".into())
    );
    // A third bad answer trips the breaker (three failures in a row).
    upstream.set(Mode::Healthy);
    assert_eq!(attempt_entity(&app, "PLACE").await, 502);
    assert_eq!(
        app.generate(&json!({"entity": "PEO"})).await.error_code(),
        "circuit_open"
    );
    app.stop().await;
}

async fn attempt_entity(app: &TestApp, entity: &str) -> u16 {
    app.generate(&json!({"entity": entity}))
        .await
        .status
        .as_u16()
}

#[tokio::test]
async fn unavailable_and_rate_limited_upstreams_give_503_with_retry_after() {
    for mode in [Mode::RetryAfter(503, 1), Mode::RetryAfter(429, 1)] {
        let upstream = FaultUpstream::start(mode).await;
        let app = gateway_for(upstream.base_url()).await;
        let answer = app.generate(&json!({"entity": "PEO"})).await;
        assert_eq!(
            (answer.status.as_u16(), answer.error_code()),
            (503, "upstream_unavailable".into()),
            "{mode:?}"
        );
        assert!(answer.headers.contains_key("retry-after"));
        assert!(upstream.calls() >= 1);
        app.stop().await;
    }
}

/// A refusal keeps its status; a code the gateway's document does not list is answered as
/// `upstream_rejected`, the authority's own code told in the message.
#[tokio::test]
async fn the_upstreams_refusals_pass_through_with_their_status() {
    let upstream = FaultUpstream::start(Mode::Status(409)).await;
    let app = gateway_for(upstream.base_url()).await;
    let answer = app.generate(&json!({"entity": "PEO"})).await;
    assert_eq!(
        (answer.status.as_u16(), answer.error_code()),
        (409, "upstream_rejected".into())
    );
    let message = answer.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("(the authority's code: scripted)"),
        "{message}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_breaker_opens_fails_fast_and_recovers() {
    let upstream = FaultUpstream::start(Mode::Status(500)).await;
    let app = gateway_for(upstream.base_url()).await;
    for _ in 0..3 {
        assert_eq!(attempt(&app).await.0, 502);
    }
    let calls_when_opened = upstream.calls();
    // Refused without an upstream call; how fast that is, is measured by the benchmarks.
    let (status, code, _) = attempt(&app).await;
    assert_eq!((status, code.as_str()), (503, "circuit_open"));
    assert_eq!(
        upstream.calls(),
        calls_when_opened,
        "an open breaker sends nothing upstream"
    );
    let refused = app.generate(&json!({"entity": "PEO"})).await;
    assert!(refused.headers.contains_key("retry-after"));
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("circuit breaker is OPEN"))
    );
    // Refusals are audited without holding up their answers: the rows follow within moments.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    let audited = loop {
        let audited = app.audit.recent_audit_events(10).await.expect("read");
        let refusals = audited
            .iter()
            .filter(|e| e.action == "generate" && e.outcome == "breaker_open")
            .count();
        if refusals >= 2 || std::time::Instant::now() > deadline {
            break audited;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        audited
            .iter()
            .filter(|e| e.action == "generate" && e.outcome == "breaker_open")
            .count()
            >= 2,
        "refusals by the breaker are audited: {audited:?}"
    );

    upstream.set(Mode::Healthy);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        attempt(&app).await.0,
        200,
        "the half-open probe succeeds and closes it"
    );
    assert_eq!(attempt(&app).await.0, 200);
    let health = app.client.get("/api/id/health", None).await.json();
    assert_eq!(health["resilience"]["circuitBreaker"]["state"], "CLOSED");
    app.stop().await;
}

#[tokio::test]
async fn health_says_degraded_and_ready_is_503_while_the_breaker_is_open() {
    let upstream = FaultUpstream::start(Mode::Healthy).await;
    let app = gateway_for(upstream.base_url()).await;
    let ready = app.ready_becomes(200).await;
    assert_eq!(ready.json()["ready"], true);
    // The monitor's health checks still pass; only mints fail.
    upstream.set(Mode::MalformedId);
    for _ in 0..3 {
        assert_eq!(attempt(&app).await.0, 502);
    }
    assert_eq!(attempt(&app).await.1, "circuit_open");
    let health = app.client.get("/health", None).await;
    assert_eq!(health.status, 200, "/health stays a liveness answer");
    assert_eq!(health.json()["status"], "degraded");
    assert_eq!(health.json()["problems"], json!(["circuit_open"]));
    let ready = app.client.get("/ready", None).await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["problems"], json!(["circuit_open"]));
    let document = app.client.get("/api/id/health", None).await.json();
    assert_eq!(document["status"], "degraded");
    // What ChittyIdCircuitBreakerOpen alerts on, and the status page shows.
    let metrics =
        String::from_utf8(app.client.get("/metrics", None).await.body.to_vec()).expect("text");
    for series in [
        "chittyid_circuit_breaker_state{state=\"OPEN\"} 1",
        "chittyid_circuit_breaker_state{state=\"CLOSED\"} 0",
        "chittyid_ready 0",
    ] {
        assert!(metrics.contains(series), "{series} in\n{metrics}");
    }
    let status = app.client.get("/api/id/status", None).await.json();
    assert_eq!(
        (&status["circuitBreaker"], &status["problems"]),
        (&json!("OPEN"), &json!(["circuit_open"]))
    );
    app.stop().await;
}

/// Light traffic after an outage: calls further apart than the half-open `max_wait` must still
/// close the breaker, not reopen it (v2.2.0 and our first breaker both did).
#[tokio::test]
async fn sparse_calls_after_an_outage_close_the_breaker() {
    let upstream = FaultUpstream::start(Mode::Status(500)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = remote(settings(&dir), upstream.base_url(), "upstream-token");
    let half_open = &mut config.gateway.resilience.breaker.half_open;
    half_open.successes_to_close = 2;
    half_open.max_wait = Duration::from_millis(200);
    let app = spawn_app_with(config, dir).await;
    for _ in 0..3 {
        assert_eq!(attempt(&app).await.0, 502);
    }
    assert_eq!(attempt(&app).await.1, "circuit_open");
    upstream.set(Mode::Healthy);
    tokio::time::sleep(Duration::from_millis(600)).await;
    // Three calls, each 500 ms after the last: 2.5 times max_wait.
    for call in 0..3 {
        let (status, code, _) = attempt(&app).await;
        assert_eq!((status, code.as_str()), (200, ""), "call {call}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let health = app.client.get("/api/id/health", None).await.json();
    assert_eq!(health["resilience"]["circuitBreaker"]["state"], "CLOSED");
    app.stop().await;
}

#[tokio::test]
async fn the_monitor_reports_a_down_upstream_as_degraded_and_then_recovered() {
    let upstream = FaultUpstream::start(Mode::Status(503)).await;
    let app = gateway_for(upstream.base_url()).await;
    let mut state = String::new();
    for _ in 0..50 {
        let health = app.client.get("/health", None).await.json();
        state = health["connection"].as_str().unwrap_or("").to_owned();
        if state == "RECONNECTING" {
            assert_eq!(health["status"], "degraded");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state, "RECONNECTING");
    upstream.set(Mode::Healthy);
    for _ in 0..50 {
        if app.client.get("/health", None).await.json()["status"] == "ok" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.client.get("/health", None).await.json()["status"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn a_remote_authority_without_a_token_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = settings(&dir);
    config.upstream = chittyid::gateway::Upstream::Remote {
        url: "http://127.0.0.1:9/v1".to_owned().into(),
        token: None,
        ca_file: None,
    };
    let err = chittyid::gateway::GatewayApplication::build(config)
        .await
        .expect_err("no token");
    assert_eq!(
        err.to_string(),
        "CHITTY_ID_TOKEN is required when CHITTYID_SERVICE_URL is set"
    );
}

#[tokio::test]
async fn a_wrong_authority_token_is_refused_at_start() {
    let authority_dir = tempfile::tempdir().expect("temp dir");
    let authority = crate::authority::helpers::spawn_authority(
        crate::authority::helpers::settings(authority_dir.path()),
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("http://{}/v1", authority.address());
    let config = remote(settings(&dir), url.clone(), "not-the-token");
    let err = chittyid::gateway::GatewayApplication::build(config)
        .await
        .expect_err("a wrong token");
    let message = format!("{err:#}");
    assert!(message.contains("refused CHITTY_ID_TOKEN"), "{message}");
    assert!(
        !message.contains("not-the-token"),
        "the token is never shown"
    );
    let config = remote(settings(&dir), url, crate::authority::helpers::TOKEN);
    let app = spawn_app_with(config, dir).await;
    assert_eq!(app.generate(&json!({"entity": "PEO"})).await.status, 200);
    app.stop().await;
    authority.stop().await;
}

#[tokio::test]
async fn the_request_id_goes_to_the_authority() {
    let upstream = FaultUpstream::start(Mode::Healthy).await;
    let app = gateway_for(upstream.base_url()).await;
    let send =
        |path: &'static str, id: &'static str, method: http::Method, key: Option<&'static str>| {
            let client = app.client.clone();
            async move {
                let auth = format!("Bearer {}", super::helpers::API_KEY);
                let mut headers = vec![
                    ("authorization", auth.as_str()),
                    ("content-type", "application/json"),
                    ("x-request-id", id),
                ];
                if let Some(key) = key {
                    headers.push(("idempotency-key", key));
                }
                let body = if method == http::Method::POST {
                    r#"{"entity":"PEO"}"#
                } else {
                    ""
                };
                client.send_with_headers(method, path, &headers, body).await
            }
        };
    let minted = send("/api/id/generate", "trace-plain", http::Method::POST, None).await;
    assert_eq!(minted.status, 200);
    assert_eq!(minted.headers["x-request-id"], "trace-plain");
    let keyed = send(
        "/api/id/generate",
        "trace-keyed",
        http::Method::POST,
        Some("k-trace"),
    )
    .await;
    assert_eq!(keyed.status, 200);
    let id = minted.json()["chittyId"].as_str().expect("ID").to_owned();
    let path: &'static str =
        Box::leak(format!("/api/id/validate/{id}?verify=true").into_boxed_str());
    assert_eq!(
        send(path, "trace-verify", http::Method::GET, None)
            .await
            .status,
        200
    );
    assert_eq!(
        upstream.request_ids(),
        ["trace-plain", "trace-keyed", "trace-verify"],
        "mints (keyed ones in their own task too) and verifications carry the request id"
    );
    app.stop().await;
}

/// After an outage, a successful generate is proof of health: readiness follows it at once
/// instead of waiting out the connection monitor's reconnect backoff (30 s here).
#[tokio::test]
async fn readiness_follows_a_successful_generate_after_an_outage() {
    let upstream = FaultUpstream::start(Mode::Healthy).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = remote(settings(&dir), upstream.base_url(), "upstream-token");
    config.gateway.resilience.monitor.reconnect = chittyid_domain::resilience::Backoff::try_new(
        Duration::from_secs(30),
        1.0,
        Duration::ZERO,
        Duration::from_secs(30),
        chittyid_domain::resilience::Jitter::None,
    )
    .expect("valid");
    let app = spawn_app_with(config, dir).await;
    app.ready_becomes(200).await;
    upstream.set(Mode::Status(503));
    let down = app.ready_becomes(503).await;
    assert!(
        String::from_utf8_lossy(&down.body).contains("authority_unreachable"),
        "{}",
        String::from_utf8_lossy(&down.body)
    );
    upstream.set(Mode::Healthy);
    assert_eq!(attempt(&app).await.0, 200, "the authority answers again");
    let ready = app.client.get("/ready", None).await;
    assert_eq!(
        ready.status,
        200,
        "ready right after a successful call, not after the 30 s backoff: {}",
        String::from_utf8_lossy(&ready.body)
    );
    app.stop().await;
}
