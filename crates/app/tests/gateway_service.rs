//! The gateway's use cases against in-memory ports (`chittyid-testing`) and a manual clock:
//! breaker timing, the retry budget, idempotency expiry and the rate limit, without sockets or
//! sleeps of any length.

use std::sync::Arc;
use std::time::Duration;

use chittyid_app::authority::{CallerHash, MintRequest};
use chittyid_app::gateway::{
    AuthorityError, GatewayConfig, GatewayDeps, GatewayError, GatewayService, IdempotencyKey,
    InMemoryKeys, InProcessCache, InProcessRateLimits, ManualClock,
};
use chittyid_domain::EntityName;
use chittyid_domain::resilience::{
    Backoff, BreakerConfig, BudgetConfig, ConsecutiveFailures, HalfOpenConfig, Jitter,
    OpenDuration, ResilienceConfig, RetryPolicy, WindowKind,
};
use chittyid_testing::{RecordingAudit, ScriptedAuthority};

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One attempt per call (unless a test says otherwise); the breaker opens after three failures
/// in a row for 10 s, and one successful probe closes it.
fn config() -> GatewayConfig {
    let recommended = ResilienceConfig::recommended();
    let resilience = ResilienceConfig {
        retry: RetryPolicy::try_new(
            1,
            Backoff::try_new(ms(1), 2.0, Duration::ZERO, ms(2), Jitter::None).expect("valid"),
            ms(500),
            Some(ms(2_000)),
            Duration::from_secs(2),
        )
        .expect("valid"),
        breaker: BreakerConfig {
            consecutive_failures: Some(ConsecutiveFailures { failures: 3 }),
            failure_count: None,
            failure_rate: None,
            slow_call_rate: None,
            window: WindowKind::CountBased { calls: 10 },
            open: OpenDuration {
                base: Duration::from_secs(10),
                growth: 1.0,
                max: Duration::from_secs(10),
                jitter: 0.0,
            },
            half_open: HalfOpenConfig {
                max_probes: 1,
                successes_to_close: 1,
                max_wait: Duration::from_secs(5),
            },
            max_retry_after: Duration::from_secs(30),
        },
        budget: recommended.budget,
        monitor: recommended.monitor,
        cache: recommended.cache,
    };
    let mut config = GatewayConfig::new(resilience, 7);
    config.rate_limit_per_minute = None;
    config
}

struct Harness {
    service: GatewayService,
    authority: ScriptedAuthority,
    clock: Arc<ManualClock>,
    events: RecordingAudit,
}

fn harness(config: GatewayConfig) -> Harness {
    let ports = chittyid_testing::in_memory(&config, 1_794_000_000_000);
    Harness {
        service: GatewayService::try_new(ports.deps, config).expect("valid"),
        authority: ports.authority,
        clock: ports.clock,
        events: ports.audit,
    }
}

fn person() -> Vec<MintRequest> {
    vec![MintRequest::new(EntityName::parse("PEO").expect("known"))]
}

fn caller() -> CallerHash {
    CallerHash::of_token("unit")
}

#[tokio::test]
async fn the_breaker_opens_after_three_failures_and_lets_a_probe_through_after_its_open_time() {
    let h = harness(config());
    h.authority
        .fail_next((0..3).map(|_| AuthorityError::Unavailable { retry_after: None }));
    for _ in 0..3 {
        let err = h
            .service
            .generate(person(), caller(), None)
            .await
            .expect_err("fails");
        assert!(matches!(err, GatewayError::Unavailable { .. }), "{err:?}");
    }
    let refused = h
        .service
        .generate(person(), caller(), None)
        .await
        .expect_err("open");
    assert!(
        matches!(refused, GatewayError::BreakerOpen(_)),
        "{refused:?}"
    );
    assert_eq!(h.authority.calls(), 3, "an open breaker calls nobody");
    h.clock.advance(ms(9_999));
    assert!(matches!(
        h.service.generate(person(), caller(), None).await,
        Err(GatewayError::BreakerOpen(_))
    ));
    h.clock.advance(ms(1));
    h.service
        .generate(person(), caller(), None)
        .await
        .expect("the half-open probe goes through and succeeds");
    // Closed again: calls flow.
    h.service
        .generate(person(), caller(), None)
        .await
        .expect("closed");
    assert_eq!(h.authority.calls(), 5);
    let outcomes: Vec<&str> = h.events.events().iter().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        [
            "unavailable",
            "unavailable",
            "unavailable",
            "breaker_open",
            "breaker_open",
            "ok",
            "ok"
        ]
    );
}

#[tokio::test]
async fn a_half_open_breaker_with_no_calls_waits_however_long_nothing_comes() {
    let h = harness(config());
    h.authority
        .fail_next((0..3).map(|_| AuthorityError::Unavailable { retry_after: None }));
    for _ in 0..3 {
        let _ = h.service.generate(person(), caller(), None).await;
    }
    // Ten times the half-open max_wait with no call at all: the next call is still a probe.
    h.clock.advance(Duration::from_secs(60));
    h.service
        .generate(person(), caller(), None)
        .await
        .expect("admitted as a probe, not refused by a breaker reopened for nothing");
}

#[tokio::test]
async fn the_retry_budget_caps_retries_and_refills_with_time() {
    let mut config = config();
    config.resilience.retry = RetryPolicy::try_new(
        3,
        Backoff::try_new(ms(1), 2.0, Duration::ZERO, ms(2), Jitter::None).expect("valid"),
        ms(500),
        Some(ms(2_000)),
        Duration::from_secs(2),
    )
    .expect("valid");
    config.resilience.budget = BudgetConfig {
        window: Duration::from_secs(10),
        percent_can_retry: 0.0,
        min_retries_per_second: 1,
    };
    config.resilience.breaker.consecutive_failures = Some(ConsecutiveFailures { failures: 100 });
    let h = harness(config);
    h.authority
        .fail_next((0..100).map(|_| AuthorityError::ConnectionRefused));
    let mut calls_per_request = Vec::new();
    for _ in 0..12 {
        let before = h.authority.calls();
        let _ = h.service.generate(person(), caller(), None).await;
        calls_per_request.push(h.authority.calls() - before);
    }
    let retries: usize = calls_per_request.iter().map(|c| c - 1).sum();
    assert!(
        retries <= 10,
        "a budget of 1 retry a second over a 10 s window: {calls_per_request:?}"
    );
    assert!(
        calls_per_request.iter().skip(11).all(|c| *c == 1),
        "exhausted: {calls_per_request:?}"
    );
    h.clock.advance(Duration::from_secs(11));
    let before = h.authority.calls();
    let _ = h.service.generate(person(), caller(), None).await;
    assert!(
        h.authority.calls() - before > 1,
        "the budget refilled with time"
    );
}

#[tokio::test]
async fn an_idempotency_key_replays_for_its_ttl_and_then_is_free() {
    let h = harness(config());
    let key = IdempotencyKey::try_new("intent", b"{}").expect("valid");
    let first = h
        .service
        .generate(person(), caller(), Some(&key))
        .await
        .expect("minted");
    h.clock.advance(Duration::from_secs(24 * 60 * 60 - 1));
    let replay = h
        .service
        .generate(person(), caller(), Some(&key))
        .await
        .expect("replayed");
    assert_eq!(replay, first);
    assert_eq!(h.authority.calls(), 1);
    h.clock.advance(Duration::from_secs(1));
    let later = h
        .service
        .generate(person(), caller(), Some(&key))
        .await
        .expect("minted");
    assert_ne!(later, first, "after 24 hours the key is a new intent");
    assert_eq!(h.authority.calls(), 2);
}

#[tokio::test]
async fn the_rate_limit_refills_with_time_and_says_when() {
    let mut config = config();
    config.rate_limit_per_minute = Some(2);
    let h = harness(config);
    for _ in 0..2 {
        h.service
            .generate(person(), caller(), None)
            .await
            .expect("allowed");
    }
    match h.service.generate(person(), caller(), None).await {
        Err(GatewayError::RateLimited { retry_after, limit }) => {
            assert_eq!(limit, 2);
            assert!(retry_after <= Duration::from_secs(30), "{retry_after:?}");
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    h.clock.advance(Duration::from_secs(30));
    h.service
        .generate(person(), caller(), None)
        .await
        .expect("one more token");
    h.service
        .generate(person(), CallerHash::of_token("another"), None)
        .await
        .expect("another key has its own allowance");
}

/// Retries wait their backoff on tokio's clock, which the service also reads (SystemClock):
/// with the clock paused (it moves only when every task waits), a generate that fails twice
/// then succeeds takes exactly the two backoff delays.
#[tokio::test(start_paused = true)]
async fn retries_wait_their_backoff_on_the_clock_the_service_reads() {
    use chittyid_app::{Clock, SystemClock};
    let mut config = config();
    config.resilience.retry = RetryPolicy::try_new(
        3,
        Backoff::try_new(ms(100), 2.0, Duration::ZERO, ms(1_000), Jitter::None).expect("valid"),
        ms(500),
        Some(ms(5_000)),
        Duration::from_secs(2),
    )
    .expect("valid");
    let clock = Arc::new(SystemClock::default());
    let authority = ScriptedAuthority::default();
    let deps = GatewayDeps::new(
        authority.clone(),
        InProcessCache::new(config.resilience.cache),
        RecordingAudit::default(),
        Arc::clone(&clock) as Arc<dyn Clock>,
        InMemoryKeys::new(),
        InProcessRateLimits::new(100),
    );
    let service = GatewayService::try_new(deps, config).expect("valid");
    authority.fail_next([
        AuthorityError::Unavailable { retry_after: None },
        AuthorityError::Unavailable { retry_after: None },
    ]);
    let started = clock.monotonic();
    let ids = service
        .generate(person(), caller(), None)
        .await
        .expect("the third attempt succeeds");
    assert_eq!(ids.len(), 1);
    assert_eq!(authority.calls(), 3);
    assert_eq!(
        clock.monotonic().saturating_since(started),
        ms(100 + 200),
        "two backoff delays, on the paused clock"
    );
}
