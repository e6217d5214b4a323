//! `spawn_app()`: a real gateway on port 0, with the embedded authority, an authority over
//! HTTP, or a scripted upstream; and typed request helpers.

use std::time::Duration;

use chittyid::gateway::{GatewayApplication, Settings, Upstream};
use chittyid_domain::resilience::{
    Backoff, BreakerConfig, BudgetConfig, ConsecutiveFailures, HalfOpenConfig, Jitter,
    MonitorConfig, OpenDuration, ResilienceConfig, RetryPolicy, WindowKind,
};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::http_client::{Answer, HttpClient};

pub(crate) const API_KEY: &str = "test-api-key";

pub(crate) struct TestApp {
    pub(crate) client: HttpClient,
    pub(crate) audit: chittyid::store::Store,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Fast policies, so that faults show within a test's patience: 3 attempts 10 ms apart, 300 ms
/// per attempt within a 1 s deadline; the breaker opens after 3 failures in a row for 500 ms.
pub(crate) fn fast_resilience() -> ResilienceConfig {
    let recommended = ResilienceConfig::recommended();
    ResilienceConfig {
        retry: RetryPolicy::try_new(
            3,
            Backoff::try_new(ms(10), 2.0, Duration::ZERO, ms(50), Jitter::None).expect("valid"),
            ms(300),
            Some(ms(1_000)),
            Duration::from_secs(2),
        )
        .expect("valid"),
        breaker: BreakerConfig {
            consecutive_failures: Some(ConsecutiveFailures { failures: 3 }),
            failure_count: None,
            failure_rate: None,
            slow_call_rate: None,
            window: WindowKind::CountBased { calls: 20 },
            open: OpenDuration {
                base: ms(500),
                growth: 1.0,
                max: ms(500),
                jitter: 0.0,
            },
            half_open: HalfOpenConfig {
                max_probes: 1,
                successes_to_close: 1,
                max_wait: ms(2_000),
            },
            max_retry_after: Duration::from_secs(2),
        },
        budget: BudgetConfig {
            window: Duration::from_secs(10),
            percent_can_retry: 2.0,
            min_retries_per_second: 100,
        },
        monitor: MonitorConfig {
            health_interval: ms(100),
            health_timeout: ms(200),
            reconnect: Backoff::try_new(ms(50), 2.0, Duration::ZERO, ms(200), Jitter::None)
                .expect("valid"),
            max_reconnect_attempts: None,
        },
        cache: recommended.cache,
    }
}

pub(crate) fn settings(dir: &tempfile::TempDir) -> Settings {
    let mut settings = Settings::new(dir.path().to_path_buf());
    settings.listen = "127.0.0.1:0".parse().expect("address");
    settings.api_keys = vec![API_KEY.to_owned().into()];
    settings.gateway.resilience = fast_resilience();
    settings.gateway.rate_limit_per_minute = None;
    settings.gateway.seed = 7;
    settings
}

pub(crate) fn remote(mut settings: Settings, url: String, token: &str) -> Settings {
    settings.upstream = Upstream::Remote {
        url: url.into(),
        token: Some(token.to_owned().into()),
        ca_file: None,
    };
    settings
}

pub(crate) async fn spawn_app_with(settings: Settings, dir: tempfile::TempDir) -> TestApp {
    let app = GatewayApplication::build(settings)
        .await
        .expect("the gateway starts");
    let client = HttpClient::new(app.address());
    let audit = app.audit_store().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp {
        client,
        audit,
        _dir: dir,
        stop: Some(stop),
        task: Some(task),
    }
}

/// The embedded default: authority in process, SQLite file in a temp dir.
pub(crate) async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = settings(&dir);
    spawn_app_with(settings, dir).await
}

impl TestApp {
    pub(crate) async fn generate(&self, body: &Value) -> Answer {
        self.client
            .post_json("/api/id/generate", Some(API_KEY), body)
            .await
    }

    pub(crate) async fn generate_id(&self, entity: &str) -> String {
        let answer = self.generate(&json!({"entity": entity})).await;
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        answer.json()["chittyId"]
            .as_str()
            .expect("an ID")
            .to_owned()
    }

    /// Sends `count` generate requests at once and returns the IDs, asserting each succeeded
    /// and parses.
    pub(crate) async fn concurrent_ids(&self, count: usize, entity: &str) -> Vec<String> {
        let tasks: Vec<_> = (0..count)
            .map(|_| {
                let client = self.client.clone();
                let body = json!({"entity": entity});
                tokio::spawn(async move {
                    let answer = client
                        .post_json("/api/id/generate", Some(API_KEY), &body)
                        .await;
                    assert_eq!(
                        answer.status,
                        200,
                        "{}",
                        String::from_utf8_lossy(&answer.body)
                    );
                    answer.json()["chittyId"].as_str().expect("ID").to_owned()
                })
            })
            .collect();
        let mut ids = Vec::with_capacity(count);
        for task in tasks {
            let id = task.await.expect("task");
            assert!(chittyid_domain::ChittyId::parse(&id).is_ok(), "{id}");
            ids.push(id);
        }
        ids
    }

    /// A generate request with an `Idempotency-Key`.
    pub(crate) async fn generate_keyed(&self, key: &str, body: &Value) -> Answer {
        self.client
            .send_with_headers(
                http::Method::POST,
                "/api/id/generate",
                &[
                    ("authorization", &format!("Bearer {API_KEY}")),
                    ("content-type", "application/json"),
                    ("idempotency-key", key),
                ],
                body.to_string(),
            )
            .await
    }

    /// Polls `/ready` until it answers `status` (5 s at most) and returns the last answer.
    pub(crate) async fn ready_becomes(&self, status: u16) -> Answer {
        let mut ready = self.client.get("/ready", None).await;
        for _ in 0..100 {
            if ready.status == status {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            ready = self.client.get("/ready", None).await;
        }
        assert_eq!(
            ready.status,
            status,
            "{}",
            String::from_utf8_lossy(&ready.body)
        );
        ready
    }

    pub(crate) async fn validate(&self, id: &str, query: &str) -> Answer {
        self.client
            .get(&format!("/api/id/validate/{id}{query}"), Some(API_KEY))
            .await
    }

    /// Stops the gateway (which flushes its audit log) and returns the store that holds it.
    pub(crate) async fn stop_and_keep_audit(
        mut self,
    ) -> (chittyid::store::Store, tempfile::TempDir) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("the gateway stops cleanly");
        }
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().expect("temp dir"));
        (self.audit.clone(), dir)
    }

    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("the gateway stops cleanly");
        }
    }
}

/// A stored API key named `name` with `scopes` (`validate`, `metrics,generate`, ...), created
/// in `dir`'s store as `chittyid keys create` would, before a gateway starts there; its secret.
pub(crate) async fn stored_key(dir: &std::path::Path, name: &str, scopes: &str) -> String {
    let store = chittyid::keys::open_store(dir, None, false)
        .await
        .expect("the store opens");
    chittyid::keys::create(
        &store.api_key_store(),
        name,
        chittyid_app::gateway::Scopes::parse(scopes).expect("scopes"),
        None,
    )
    .await
    .expect("created")
    .secret
}
