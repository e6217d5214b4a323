use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chittyid_postgres::testing::TestDatabase;
use serde_json::{Value, json};

use base64::Engine as _;

use crate::authority::log::{checkpoint_of, hashes, verifier_key};
use crate::helpers::{Running, fleet_log_key, free_port, wait_for};
use crate::http_client::HttpClient;

pub(super) const TOKEN: &str = "fleet-token-with-enough-entropy";
pub(super) const API_KEY: &str = "fleet-api-key";

/// `chittyid authority` on the database at `url`, with its own (empty) data directory.
pub(super) async fn authority(url: &str, data: &std::path::Path) -> (Running, HttpClient) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["authority", "--listen", &port.to_string(), "--data-dir"])
        .arg(data)
        .arg("--log-key")
        .arg(fleet_log_key(data))
        .env("DATABASE_URL", url)
        .env_remove("REDIS_URL")
        .env("CHITTYID_AUTHORITY_TOKENS", TOKEN)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&client, "/v1/health").await;
    (Running(child), client)
}

/// `chittyid serve` with the in-process authority, everything on the database at `url`.
pub(super) async fn gateway(url: &str, data: &std::path::Path) -> (Running, HttpClient) {
    gateway_with(url, data, &[]).await
}

/// The same, with more environment variables.
async fn gateway_with(
    url: &str,
    data: &std::path::Path,
    env: &[(&str, &str)],
) -> (Running, HttpClient) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["serve", "--listen", &port.to_string(), "--data-dir"])
        .arg(data)
        .envs(env.iter().copied())
        .env("DATABASE_URL", url)
        .env_remove("REDIS_URL")
        .env("CHITTYID_API_KEYS", API_KEY)
        .env("CHITTYID_RATE_LIMIT", "0")
        .env_remove("CHITTYID_SERVICE_URL")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&client, "/health").await;
    (Running(child), client)
}

fn ids_of(body: &Value) -> Vec<String> {
    if let Some(ids) = body["chittyIds"].as_array() {
        ids.iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    } else {
        body["chittyId"]
            .as_str()
            .map(str::to_owned)
            .into_iter()
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_authorities_on_one_database_never_mint_the_same_id() {
    let _alone = crate::helpers::HEAVY_LOAD.lock().await;
    let database = TestDatabase::create().await;
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let (_a, first) = authority(database.url(), dir_a.path()).await;
    let (_b, second) = authority(database.url(), dir_b.path()).await;
    let minted = Arc::new(Mutex::new(Vec::<String>::new()));
    let failures = Arc::new(Mutex::new(Vec::<u16>::new()));
    let mut tasks = Vec::new();
    for worker in 0..16 {
        let client = if worker % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let (minted, failures) = (Arc::clone(&minted), Arc::clone(&failures));
        tasks.push(tokio::spawn(async move {
            for round in 0..40 {
                let answer = if round % 4 == 0 {
                    let requests: Vec<Value> = (0..10).map(|_| json!({"entity": "PEO"})).collect();
                    client
                        .post_json(
                            "/v1/mint/batch",
                            Some(TOKEN),
                            &json!({"requests": requests}),
                        )
                        .await
                } else {
                    client
                        .post_json("/v1/mint", Some(TOKEN), &json!({"entity": "PLACE"}))
                        .await
                };
                if answer.status == 200 {
                    minted.lock().expect("lock").extend(ids_of(&answer.json()));
                } else {
                    failures.lock().expect("lock").push(answer.status.as_u16());
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("worker");
    }
    let minted = minted.lock().expect("lock").clone();
    let distinct: HashSet<&String> = minted.iter().collect();
    assert_eq!(
        failures.lock().expect("lock").as_slice(),
        &[] as &[u16],
        "no failures"
    );
    assert_eq!(minted.len(), 16 * (30 + 10 * 10), "every request answered");
    assert_eq!(distinct.len(), minted.len(), "no ID minted twice");
    // Each authority knows the other's IDs: one ledger.
    for id in minted.iter().take(20) {
        for client in [&first, &second] {
            let verdict = client.get(&format!("/v1/validate/{id}"), Some(TOKEN)).await;
            assert_eq!(verdict.json()["mintedHere"], true, "{id}");
        }
    }
    // And one mint log: every ID is one leaf of it, proved by either authority against a
    // checkpoint the other signed.
    let key = verifier_key(&first).await;
    assert_eq!(verifier_key(&second).await, key);
    let (checkpoint, _) = checkpoint_of(&first, &key, minted.len() as u64).await;
    assert_eq!(checkpoint.size, minted.len() as u64);
    let mut indexes = HashSet::new();
    for (i, id) in minted.iter().enumerate() {
        let client = if i % 2 == 0 { &second } else { &first };
        let answer = client
            .get(
                &format!("/v1/log/proof/{id}?size={}", checkpoint.size),
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "{id}");
        let proof = answer.json();
        let leaf = base64::engine::general_purpose::STANDARD
            .decode(proof["leaf"].as_str().expect("leaf"))
            .expect("base64");
        let index = proof["index"].as_u64().expect("index");
        chittyid_domain::log::verify_inclusion(
            index,
            checkpoint.size,
            &chittyid_domain::log::leaf_hash(&leaf),
            &hashes(&proof["hashes"]),
            &checkpoint.root,
        )
        .unwrap_or_else(|err| panic!("{id}: {err}"));
        indexes.insert(index);
    }
    assert_eq!(
        indexes,
        (0..minted.len() as u64).collect(),
        "one leaf each, no gaps"
    );
    let verified = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["authority", "verify-log", "--log-key"])
        .arg(fleet_log_key(dir_a.path()))
        .arg("--data-dir")
        .arg(dir_a.path())
        .env("DATABASE_URL", database.url())
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{said}");
    assert!(said.contains("intact"), "{said}");
}

/// Generates from several clients through `chittyid serve` on PostgreSQL, SIGKILLs it, restarts
/// it: every ID a client was given is in the ledger and has its audit row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_id_acknowledged_before_a_sigkill_is_recorded_and_audited() {
    let _alone = crate::helpers::HEAVY_LOAD.lock().await;
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().expect("dir");
    let (mut running, client) = gateway(database.url(), dir.path()).await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (client, acknowledged) = (client.clone(), Arc::clone(&acknowledged));
            tokio::spawn(async move {
                while let Some((status, body)) = client
                    .try_post_json("/api/id/generate", API_KEY, &json!({"entity": "PEO"}))
                    .await
                {
                    if status == 200 {
                        let value: Value = serde_json::from_slice(&body).expect("JSON");
                        acknowledged.lock().expect("lock").extend(ids_of(&value));
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    running.0.kill().expect("SIGKILL");
    let _ = running.0.wait();
    for worker in workers {
        let _ = worker.await;
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() > 10,
        "only {} generated",
        acknowledged.len()
    );
    let (_restarted, client) = gateway(database.url(), dir.path()).await;

    let store = chittyid_postgres::PgStore::connect(
        database.url(),
        chittyid_postgres::PoolSettings::default(),
    )
    .await
    .expect("connect");
    let audited: HashSet<String> = store
        .recent_audit_events(u32::MAX)
        .await
        .expect("read")
        .into_iter()
        .filter(|e| e.action == "generate" && e.outcome == "ok")
        .flat_map(|e| e.ids)
        .collect();
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !audited.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} without an audit row",
        missing.len(),
        acknowledged.len()
    );
    use chittyid_app::authority::MintLedger;
    for id in &acknowledged {
        let parsed = chittyid_domain::ChittyId::parse(id).expect("canonical");
        assert!(
            store.find(&parsed).await.expect("lookup").is_some(),
            "{id} not in the ledger"
        );
    }
    let sample = &acknowledged[0];
    let verdict = client
        .get(
            &format!("/api/id/validate/{sample}?verify=true"),
            Some(API_KEY),
        )
        .await
        .json();
    assert_eq!(verdict["authority"]["minted"], true, "{verdict}");
}

/// Every connection to the database is killed twice during a load: requests in that window
/// fail cleanly (503 with Retry-After) or succeed, the pool reconnects by itself, and every
/// acknowledged ID is recorded and audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_database_connections_fail_cleanly_and_recover() {
    let _alone = crate::helpers::HEAVY_LOAD.lock().await;
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().expect("dir");
    let (_running, client) = gateway(database.url(), dir.path()).await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let statuses = Arc::new(Mutex::new(Vec::<(u16, bool)>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (client, acknowledged, statuses, stop) = (
                client.clone(),
                Arc::clone(&acknowledged),
                Arc::clone(&statuses),
                Arc::clone(&stop),
            );
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let answer = client
                        .post_json("/api/id/generate", Some(API_KEY), &json!({"entity": "PEO"}))
                        .await;
                    let retry_after = answer.headers.contains_key("retry-after");
                    statuses
                        .lock()
                        .expect("lock")
                        .push((answer.status.as_u16(), retry_after));
                    if answer.status == 200 {
                        acknowledged
                            .lock()
                            .expect("lock")
                            .extend(ids_of(&answer.json()));
                    }
                }
            })
        })
        .collect();
    let mut killed = 0;
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        killed += database
            .kill_connections()
            .await
            .expect("pg_terminate_backend");
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let before_end = statuses.lock().expect("lock").len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("worker");
    }
    let statuses = statuses.lock().expect("lock").clone();
    assert!(killed > 0, "connections were killed");
    let failed: Vec<&(u16, bool)> = statuses.iter().filter(|(s, _)| *s != 200).collect();
    println!(
        "{killed} connections killed; {} requests, {} failed: {:?}",
        statuses.len(),
        failed.len(),
        failed.iter().take(5).collect::<Vec<_>>()
    );
    assert!(
        failed
            .iter()
            .all(|(status, retry_after)| *status == 503 && *retry_after),
        "only clean 503s with Retry-After: {failed:?}"
    );
    assert!(
        statuses[before_end..]
            .iter()
            .all(|(status, _)| *status == 200),
        "the pool reconnected by itself: the last half second was all 200"
    );
    let store = chittyid_postgres::PgStore::connect(
        database.url(),
        chittyid_postgres::PoolSettings::default(),
    )
    .await
    .expect("connect");
    let audited: HashSet<String> = store
        .recent_audit_events(u32::MAX)
        .await
        .expect("read")
        .into_iter()
        .flat_map(|e| e.ids)
        .collect();
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.iter().all(|id| audited.contains(id)),
        "every acknowledged ID audited"
    );
    let health = client.get("/ready", None).await;
    assert_eq!(
        health.status,
        200,
        "{}",
        String::from_utf8_lossy(&health.body)
    );
}

/// `CHITTYID_AUDIT_RETENTION_DAYS` on a gateway process: events older than the retention are
/// deleted from PostgreSQL at start; newer ones stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_events_past_the_retention_are_deleted_from_postgres() {
    let database = TestDatabase::create().await;
    let store = chittyid_postgres::PgStore::connect(
        database.url(),
        chittyid_postgres::PoolSettings::default(),
    )
    .await
    .expect("connect");
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(database.url())
        .await
        .expect("connect");
    let now = chittyid_app::unix_now_ms();
    for (at, caller) in [(now - 3 * 24 * 60 * 60 * 1_000, "old"), (now, "recent")] {
        sqlx::query(
            "INSERT INTO audit_events (at_unix_ms, action, caller_hash, outcome, ids, entity)
             VALUES ($1, 'generate', $2, 'ok', '[]', NULL)",
        )
        .bind(at)
        .bind(caller)
        .execute(&mut conn)
        .await
        .expect("insert");
    }
    let dir = tempfile::tempdir().expect("dir");
    let (_running, _client) = gateway_with(
        database.url(),
        dir.path(),
        &[("CHITTYID_AUDIT_RETENTION_DAYS", "2")],
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let callers = loop {
        let callers: Vec<String> = store
            .recent_audit_events(100)
            .await
            .expect("read")
            .into_iter()
            .map(|e| e.caller_hash)
            .collect();
        if !callers.iter().any(|c| c == "old") || std::time::Instant::now() > deadline {
            break callers;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        callers,
        ["recent"],
        "only the event within two days is kept"
    );
}
