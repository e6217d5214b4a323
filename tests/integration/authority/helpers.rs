//! `spawn_authority()`: a real authority on port 0 with its own SQLite file.

use std::path::Path;

use chittyid::authority::{AuthorityApplication, Settings};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::http_client::{Answer, HttpClient};

pub(crate) const TOKEN: &str = "test-token-with-enough-entropy";

pub(crate) struct TestAuthority {
    pub(crate) client: HttpClient,
    address: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub(crate) fn settings(data_dir: &Path) -> Settings {
    let mut settings = Settings::new(data_dir.to_path_buf());
    settings.listen = "127.0.0.1:0".parse().expect("address");
    settings.tokens = vec![TOKEN.to_owned().into()];
    settings
}

pub(crate) async fn spawn_authority(settings: Settings) -> TestAuthority {
    let app = AuthorityApplication::build(settings)
        .await
        .expect("the authority starts");
    let address = app.address();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestAuthority {
        client: HttpClient::new(address),
        address,
        stop: Some(stop),
        task: Some(task),
    }
}

impl TestAuthority {
    pub(crate) fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    pub(crate) async fn mint(&self, body: &Value) -> Answer {
        self.client.post_json("/v1/mint", Some(TOKEN), body).await
    }

    /// Mints one ID for `entity`, asserting success.
    pub(crate) async fn mint_id(&self, entity: &str) -> String {
        let answer = self.mint(&json!({"entity": entity})).await;
        assert_eq!(answer.status, 200, "{}", answer.json());
        answer.json()["chittyId"]
            .as_str()
            .expect("an ID")
            .to_owned()
    }

    /// The whole `/v1/metrics` text, and the value of one counter in it.
    pub(crate) async fn metrics(&self) -> String {
        String::from_utf8(self.client.get("/v1/metrics", None).await.body.to_vec()).expect("text")
    }

    pub(crate) async fn metric(&self, name: &str) -> u64 {
        let metrics = self.metrics().await;
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from\n{metrics}"))
    }

    pub(crate) async fn validate(&self, id: &str) -> Answer {
        self.client
            .get(&format!("/v1/validate/{id}"), Some(TOKEN))
            .await
    }

    /// Stops the server and waits until it has.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("the server task ends cleanly");
        }
    }
}
