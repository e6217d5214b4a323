//! The gateway's router against an in-memory service (no socket, no database): what a team
//! that mounts `GatewayApi::router()` in its own server, or swaps the adapters, gets. Every
//! answer is held against the gateway's OpenAPI document.

use std::sync::Arc;

use axum::body::Body;
use chittyid_app::gateway::{
    GatewayConfig, GatewayDeps, GatewayService, InMemoryKeys, InProcessCache, InProcessRateLimits,
    LogAudit, SystemClock,
};
use chittyid_domain::resilience::ResilienceConfig;
use chittyid_http::TokenSet;
use chittyid_http::gateway::GatewayApi;
use chittyid_testing::ScriptedAuthority;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

#[path = "support/schema.rs"]
mod schema;

const KEY: &str = "router-test-key";

fn router(authority: &ScriptedAuthority, rate_limit: Option<u32>) -> axum::Router {
    let resilience = ResilienceConfig::recommended();
    let mut config = GatewayConfig::new(resilience, 7);
    config.rate_limit_per_minute = rate_limit;
    let deps = GatewayDeps::new(
        authority.clone(),
        InProcessCache::new(resilience.cache),
        LogAudit,
        Arc::new(SystemClock::default()),
        InMemoryKeys::new(),
        InProcessRateLimits::new(100),
    );
    let service = Arc::new(GatewayService::try_new(deps, config).expect("valid config"));
    Arc::new(GatewayApi::new(service, TokenSet::new([KEY]))).router()
}

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Value,
}

async fn call(router: &axum::Router, method: &str, path: &str, body: Option<Value>) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {KEY}"));
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    let response = router
        .clone()
        .oneshot(request.body(body).expect("a request"))
        .await
        .expect("the router answers");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("a body").to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: serde_json::from_slice(&bytes).expect("a JSON body"),
    }
}

/// Holds the answer against the response the document gives for its path, method and status.
fn matches_document(answer: &Answer, method: &str, path: &str) {
    let document: Value =
        serde_json::from_str(&chittyid_http::contract::gateway_openapi_json()).expect("JSON");
    let schema = &document["paths"][path][method]["responses"][answer.status.as_str()]["content"]["application/json"]
        ["schema"];
    assert!(
        !schema.is_null(),
        "{method} {path} {} is not in the document",
        answer.status
    );
    if let Err(fault) = schema::conforms(&answer.body, schema, &document, path) {
        panic!("{method} {path}: {fault}");
    }
}

#[tokio::test]
async fn generate_answers_the_documented_shape() {
    let router = router(&ScriptedAuthority::default(), None);
    let one = call(
        &router,
        "POST",
        "/api/id/generate",
        Some(json!({"entity": "PEO"})),
    )
    .await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["entityType"], "P");
    matches_document(&one, "post", "/api/id/generate");
    let batch = json!({"requests": [{"entity": "PEO"}, {"entity": "person", "name": "Ada"}]});
    let two = call(&router, "POST", "/api/id/generate/batch", Some(batch)).await;
    assert_eq!(two.status, 200, "{}", two.body);
    assert_eq!(two.body["chittyIds"].as_array().map(Vec::len), Some(2));
    matches_document(&two, "post", "/api/id/generate/batch");
}

#[tokio::test]
async fn an_authority_that_is_down_is_a_documented_503_with_retry_after() {
    let authority = ScriptedAuthority::default();
    authority.set_down(true);
    let router = router(&authority, None);
    let answer = call(&router, "POST", "/v1/mint", Some(json!({"entity": "PEO"}))).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], "upstream_unavailable");
    assert!(answer.headers.contains_key("retry-after"));
    matches_document(&answer, "post", "/v1/mint");
}

#[tokio::test]
async fn the_rate_limit_is_a_documented_429() {
    let router = router(&ScriptedAuthority::default(), Some(2));
    let batch = json!({"requests": [{"entity": "PEO"}, {"entity": "PEO"}]});
    let first = call(&router, "POST", "/api/id/generate/batch", Some(batch)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let refused = call(
        &router,
        "POST",
        "/api/id/generate",
        Some(json!({"entity": "PEO"})),
    )
    .await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "rate_limited");
    matches_document(&refused, "post", "/api/id/generate");
}

#[tokio::test]
async fn verification_goes_through_the_cache_and_answers_as_documented() {
    let router = router(&ScriptedAuthority::default(), None);
    let minted = call(
        &router,
        "POST",
        "/api/id/generate",
        Some(json!({"entity": "PEO"})),
    )
    .await;
    let id = minted.body["chittyId"].as_str().expect("an ID").to_owned();
    let path = format!("/v1/validate/{id}");
    let first = call(&router, "GET", &path, None).await;
    let second = call(&router, "GET", &path, None).await;
    assert_eq!(
        (&first.body["valid"], &first.body["cached"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(second.body["cached"], true);
    matches_document(&second, "get", "/v1/validate/{id}");
    let report = call(
        &router,
        "GET",
        &format!("/api/id/validate/{id}?verify=true"),
        None,
    )
    .await;
    assert_eq!(
        report.body["authority"],
        json!({"minted": true, "cached": true})
    );
    matches_document(&report, "get", "/api/id/validate/{id}");
    let malformed = call(&router, "GET", "/v1/validate/not-an-id", None).await;
    assert_eq!(malformed.body["wellFormed"], false);
    matches_document(&malformed, "get", "/v1/validate/{id}");
}

#[tokio::test]
async fn health_answers_are_documented() {
    let router = router(&ScriptedAuthority::default(), None);
    for (path, documented) in [
        ("/health", "/health"),
        ("/ready", "/ready"),
        ("/api/id/health", "/api/id/health"),
        ("/v1/health", "/v1/health"),
        ("/api/v1/health", "/v1/health"),
        ("/api/id/status", "/api/id/status"),
    ] {
        let answer = call(&router, "GET", path, None).await;
        matches_document(&answer, "get", documented);
    }
}

#[tokio::test]
async fn a_slash_left_unencoded_is_part_of_the_input() {
    let router = router(&ScriptedAuthority::default(), None);
    let report = call(&router, "GET", "/api/id/validate/03-1-USA/0001", None).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(
        (&report.body["input"], &report.body["valid"]),
        (&json!("03-1-USA/0001"), &json!(false))
    );
    matches_document(&report, "get", "/api/id/validate/{id}");
    let v1 = call(&router, "GET", "/api/v1/validate/a/b", None).await;
    assert_eq!(v1.status, 200, "{}", v1.body);
    assert_eq!(v1.body["chittyId"], "a/b");
    matches_document(&v1, "get", "/v1/validate/{id}");
}
