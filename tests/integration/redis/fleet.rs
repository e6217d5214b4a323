use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Running, free_port, wait_for};
use crate::http_client::HttpClient;

const TOKEN: &str = "redis-fleet-token-with-entropy";
const API_KEY: &str = "redis-fleet-key";

fn redis_server(port: u16, dir: &Path) -> Running {
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| {
            panic!("cannot start redis-server ({err}): install it (Debian's redis-server; scripts/test.sh does)")
        });
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Running(child)
}

struct Fleet {
    _authority: Running,
    gateways: Vec<(Running, HttpClient)>,
    _dirs: Vec<tempfile::TempDir>,
}

/// One authority and `count` gateways sharing the Redis at `redis_port`.
async fn fleet(count: usize, redis_port: u16, rate_limit: u32) -> Fleet {
    let authority_dir = tempfile::tempdir().expect("dir");
    let authority_port = free_port();
    let authority = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args([
            "authority",
            "--listen",
            &authority_port.to_string(),
            "--data-dir",
        ])
        .arg(authority_dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env("CHITTYID_AUTHORITY_TOKENS", TOKEN)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let authority_client = HttpClient::new(
        format!("127.0.0.1:{authority_port}")
            .parse()
            .expect("address"),
    );
    wait_for(&authority_client, "/v1/health").await;
    let mut dirs = vec![authority_dir];
    let mut gateways = Vec::new();
    for _ in 0..count {
        let dir = tempfile::tempdir().expect("dir");
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
            .args(["serve", "--listen", &port.to_string(), "--data-dir"])
            .arg(dir.path())
            .env_remove("DATABASE_URL")
            .env("REDIS_URL", format!("redis://127.0.0.1:{redis_port}"))
            .env(
                "CHITTYID_SERVICE_URL",
                format!("http://127.0.0.1:{authority_port}/v1"),
            )
            .env("CHITTY_ID_TOKEN", TOKEN)
            .env("CHITTYID_API_KEYS", API_KEY)
            .env("CHITTYID_RATE_LIMIT", rate_limit.to_string())
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
        wait_for(&client, "/health").await;
        gateways.push((Running(child), client));
        dirs.push(dir);
    }
    Fleet {
        _authority: Running(authority),
        gateways,
        _dirs: dirs,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_gateways_share_one_rate_limit() {
    let _alone = crate::helpers::HEAVY_LOAD.lock().await;
    let redis_dir = tempfile::tempdir().expect("dir");
    let redis_port = free_port();
    let _redis = redis_server(redis_port, redis_dir.path());
    let fleet = fleet(3, redis_port, 10).await;
    let mut statuses = Vec::new();
    for n in 0..30 {
        let (_, client) = &fleet.gateways[n % 3];
        let answer = client
            .post_json("/api/id/generate", Some(API_KEY), &json!({"entity": "PEO"}))
            .await;
        if answer.status == 429 {
            let retry_after: u64 = answer.headers["retry-after"]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("seconds");
            assert!((1..=60).contains(&retry_after), "{retry_after}");
        }
        statuses.push(answer.status.as_u16());
    }
    let allowed = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(
        allowed, 10,
        "10 a minute for the fleet, not 30: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verdict_asked_by_one_gateway_is_answered_by_another_from_redis() {
    let _alone = crate::helpers::HEAVY_LOAD.lock().await;
    let redis_dir = tempfile::tempdir().expect("dir");
    let redis_port = free_port();
    let _redis = redis_server(redis_port, redis_dir.path());
    let fleet = fleet(2, redis_port, 0).await;
    let (first, second) = (&fleet.gateways[0].1, &fleet.gateways[1].1);
    let minted = first
        .post_json("/api/id/generate", Some(API_KEY), &json!({"entity": "PEO"}))
        .await
        .json();
    let id = minted["chittyId"].as_str().expect("ID");
    let path = format!("/api/id/validate/{id}?verify=true");
    let asked = first.get(&path, Some(API_KEY)).await.json();
    assert_eq!(asked["authority"], json!({"minted": true, "cached": false}));
    let answered = second.get(&path, Some(API_KEY)).await.json();
    assert_eq!(
        answered["authority"],
        json!({"minted": true, "cached": true})
    );
    let health = second.get("/api/id/health", None).await.json();
    let shared = &health["resilience"]["cache"]["shared"];
    assert_eq!(shared["hits"], 1, "{health}");
    assert_eq!(shared["available"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_keep_serving_through_a_redis_restart_and_reconnect() {
    let _alone = crate::helpers::HEAVY_LOAD.lock().await;
    let redis_dir = tempfile::tempdir().expect("dir");
    let redis_port = free_port();
    let redis = redis_server(redis_port, redis_dir.path());
    let fleet = fleet(2, redis_port, 1_000).await;
    // Before any request: health finds Redis by itself.
    let health = fleet.gateways[0].1.get("/health", None).await.json();
    assert_eq!(
        health["components"],
        json!({"cache": "ok", "rateLimit": "ok"}),
        "{health}"
    );
    let generate = |client: &HttpClient| {
        let client = client.clone();
        async move {
            client
                .post_json("/api/id/generate", Some(API_KEY), &json!({"entity": "PEO"}))
                .await
                .status
                .as_u16()
        }
    };
    for (_, client) in &fleet.gateways {
        assert_eq!(generate(client).await, 200);
        let health = client.get("/health", None).await.json();
        assert_eq!(
            health["components"],
            json!({"cache": "ok", "rateLimit": "ok"}),
            "{health}"
        );
    }
    drop(redis);
    for (_, client) in &fleet.gateways {
        for _ in 0..3 {
            assert_eq!(generate(client).await, 200, "served without Redis");
        }
        let health = client.get("/health", None).await.json();
        assert_eq!(health["components"]["rateLimit"], "degraded", "{health}");
        assert_eq!(health["status"], "ok", "generates still work: {health}");
        // What ChittyIdSharedStoreDown alerts on.
        let metrics =
            String::from_utf8(client.get("/metrics", None).await.body.to_vec()).expect("text");
        assert!(
            metrics.contains("chittyid_shared_store_up{store=\"rate_limit\"} 0"),
            "{metrics}"
        );
        assert!(metrics.contains("chittyid_ready 1"), "{metrics}");
    }
    let _restarted = redis_server(redis_port, redis_dir.path());
    for (_, client) in &fleet.gateways {
        let started = Instant::now();
        loop {
            assert_eq!(generate(client).await, 200);
            let health = client.get("/health", None).await.json();
            if health["components"]["rateLimit"] == "ok" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "never reconnected: {health}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Two gateways, each with an authority of its own (embedded, its own store), sharing one
/// Redis and one prefix: one's verdict is never the other's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_in_front_of_different_authorities_do_not_share_verdicts() {
    let _alone = crate::helpers::HEAVY_LOAD.lock().await;
    let redis_dir = tempfile::tempdir().expect("dir");
    let redis_port = free_port();
    let _redis = redis_server(redis_port, redis_dir.path());
    let mut gateways = Vec::new();
    let mut dirs = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().expect("dir");
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
            .args(["serve", "--listen", &port.to_string(), "--data-dir"])
            .arg(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("CHITTYID_SERVICE_URL")
            .env("REDIS_URL", format!("redis://127.0.0.1:{redis_port}"))
            .env("CHITTYID_API_KEYS", API_KEY)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
        wait_for(&client, "/health").await;
        gateways.push((Running(child), client));
        dirs.push(dir);
    }
    let (first, second) = (&gateways[0].1, &gateways[1].1);
    let minted = first
        .post_json("/api/id/generate", Some(API_KEY), &json!({"entity": "PEO"}))
        .await
        .json();
    let id = minted["chittyId"].as_str().expect("ID");
    let path = format!("/api/id/validate/{id}?verify=true");
    let asked = first.get(&path, Some(API_KEY)).await.json();
    assert_eq!(asked["authority"], json!({"minted": true, "cached": false}));
    let answered = second.get(&path, Some(API_KEY)).await.json();
    assert_eq!(
        answered["authority"],
        json!({"minted": false, "cached": false}),
        "the second gateway's authority never minted it, and its answer is its own"
    );
}
