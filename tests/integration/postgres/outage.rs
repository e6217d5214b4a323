//! A PostgreSQL server of its own (initdb on a temporary directory, a free port), SIGKILLed
//! under load and started again: answers never outlast the deadline, refusals are fast once
//! the failure is known, readiness says so at once, generates come back within seconds of the
//! server, and no acknowledged ID is lost. The shared server on 5432 is never touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::fleet::{API_KEY, TOKEN, authority, gateway};
use crate::helpers::free_port;
use crate::http_client::HttpClient;

/// PostgreSQL's server programs: `pg_config --bindir`, else Debian's versioned directory.
fn server_bin_dir() -> PathBuf {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|dirs| {
            dirs.filter_map(Result::ok)
                .map(|d| d.path().join("bin"))
                .filter(|bin| bin.join("initdb").exists())
                .max()
        });
    from_pg_config
        .filter(|bin| bin.join("initdb").exists())
        .or(debian)
        .expect(
            "this test runs a PostgreSQL server of its own: install PostgreSQL's server \
             programs (Debian `postgresql`, as scripts/test.sh does) so that initdb is found",
        )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Runs a server program, as the `postgres` user when this is root (PostgreSQL refuses root).
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl Cluster {
    fn create() -> Self {
        let bin = server_bin_dir();
        let dir = tempfile::tempdir().expect("temp dir");
        if is_root() {
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(owned.success(), "chown the cluster's directory to postgres");
        }
        let created = as_server_user(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(dir.path().join("data"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(created.success(), "initdb");
        let cluster = Self {
            dir,
            bin,
            port: free_port(),
        };
        cluster.start();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (pg_ctl returns once it accepts connections). A restart right after a
    /// SIGKILL can find the old server's backends still leaving: tried again for a while.
    fn start(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let started = as_server_user(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.data())
                .args(["-w", "-t", "10", "-l"])
                .arg(self.dir.path().join("server.log"))
                .arg("-o")
                .arg(format!(
                    "-p {} -k {} -c listen_addresses=127.0.0.1",
                    self.port,
                    self.dir.path().display()
                ))
                .arg("start")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("pg_ctl runs");
            if started.success() {
                return;
            }
            assert!(Instant::now() < deadline, "the cluster did not start again");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGKILL to the postmaster: what an OOM kill or a crashed machine's database does.
    fn kill(&self) {
        let pid = std::fs::read_to_string(self.data().join("postmaster.pid")).expect("pid file");
        let pid = pid.lines().next().expect("pid line").trim().to_owned();
        let killed = Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            let _ = as_server_user(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// One answer: when it was asked (since the start), how long it took, its status, whether it
/// carried `Retry-After`, and the ID if it handed one out.
type Seen = (Duration, Duration, u16, bool, Option<String>);

/// What a server answering from the cluster must do while the cluster is killed under load
/// and started again. `path`, `token` and `health` name the server's mint route, its
/// credential and its readiness route; audited IDs are checked where `audited` is set.
async fn killed_under_load(
    cluster: &Cluster,
    client: &HttpClient,
    path: &'static str,
    token: &'static str,
    health: &'static str,
    audited: bool,
) {
    let origin = Instant::now();
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..16u32)
        .map(|worker| {
            let (client, seen, stop) = (client.clone(), Arc::clone(&seen), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut sent = 0u32;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    // Spread over 54 sequence spaces (10,000 IDs each), as real callers do, so
                    // that a long run never fills one.
                    sent += 1;
                    let body = json!({
                        "entity": "PEO",
                        "region": 1 + (worker + sent) % 9,
                        "trustLevel": (worker + sent / 9) % 6,
                    });
                    let asked = origin.elapsed();
                    let answer = tokio::time::timeout(
                        Duration::from_secs(30),
                        client.post_json(path, Some(token), &body),
                    )
                    .await
                    .expect("no request hangs for 30 s");
                    let id = (answer.status == 200)
                        .then(|| answer.json()["chittyId"].as_str().map(str::to_owned))
                        .flatten();
                    seen.lock().expect("lock").push((
                        asked,
                        origin.elapsed() - asked,
                        answer.status.as_u16(),
                        answer.headers.contains_key("retry-after"),
                        id,
                    ));
                    if answer.status != 200 {
                        // A client that backs off a little (less than the Retry-After it
                        // was given), so that refusals stay a load.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    let killed_at = origin.elapsed();
    cluster.kill();
    // Readiness answers at once, and says 503 once the failure is known.
    let mut ready_turned = None;
    let mut slowest_ready = Duration::ZERO;
    while origin.elapsed() < killed_at + Duration::from_secs(3) {
        let asked = Instant::now();
        let ready = client.get(health, None).await;
        if ready_turned.is_some() {
            // Once the failure is known, readiness answers 503 at once.
            assert_eq!(ready.status, 503, "readiness while the server is down");
            slowest_ready = slowest_ready.max(asked.elapsed());
        }
        if ready.status == 503 && ready_turned.is_none() {
            ready_turned = Some(origin.elapsed() - killed_at);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let restarted_at = origin.elapsed();
    cluster.start();
    let back_at = origin.elapsed();
    // Long enough for a gateway's breaker in front of its authority to finish an open period
    // that grew while the store was away (5 s, doubled once).
    tokio::time::sleep(Duration::from_secs(12)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("worker");
    }
    let seen = seen.lock().expect("lock").clone();

    let ready_turned = ready_turned.expect("/ready answered 503 while the server was down");
    let slowest = seen.iter().map(|s| s.1).max().unwrap_or_default();
    let failed: Vec<&Seen> = seen.iter().filter(|s| s.2 != 200).collect();
    // Refusals once the failure is known: asked from half a second after the kill until the
    // server was started again.
    let known: Vec<&Seen> = failed
        .iter()
        .copied()
        .filter(|s| s.0 > killed_at + Duration::from_millis(500) && s.0 < restarted_at)
        .collect();
    let slowest_known = known.iter().map(|s| s.1).max().unwrap_or_default();
    let first_success_after = seen
        .iter()
        .filter(|s| s.2 == 200 && s.0 >= back_at)
        .map(|s| s.0 + s.1 - back_at)
        .min();
    println!(
        "{} requests, {} failed; slowest answer {slowest:?}; {} refusals once known, slowest \
         {slowest_known:?}; /ready 503 {ready_turned:?} after the kill, slowest /ready \
         {slowest_ready:?}; server back after {:?}, first generate {first_success_after:?} later",
        seen.len(),
        failed.len(),
        known.len(),
        back_at - restarted_at,
    );
    assert!(
        slowest <= Duration::from_millis(5_500),
        "every answer within the 5 s deadline: {slowest:?}"
    );
    // Clean failures: 503 with Retry-After, or (a request caught by the kill while the failure
    // was not yet known) the gateway's 504 at its deadline.
    let unclean: Vec<&&Seen> = failed
        .iter()
        .filter(|s| !((s.2 == 503 && s.3) || s.2 == 504))
        .collect();
    assert!(
        unclean.is_empty(),
        "failures are 503 with Retry-After, or 504 at the deadline: {:?}",
        unclean.iter().take(5).collect::<Vec<_>>()
    );
    assert!(
        !known.is_empty(),
        "requests were refused while the server was down"
    );
    assert!(
        slowest_known <= Duration::from_millis(100),
        "refusals within 100 ms once the failure is known: {slowest_known:?}"
    );
    assert!(
        slowest_ready <= Duration::from_millis(200),
        "readiness answers 503 within 200 ms once the failure is known: {slowest_ready:?}"
    );
    assert!(
        ready_turned <= Duration::from_secs(1),
        "/ready says 503 soon after the kill: {ready_turned:?}"
    );
    let first_success_after =
        first_success_after.expect("generates succeed after the server returns");
    assert!(
        first_success_after <= Duration::from_secs(11),
        "generates succeed within seconds of the server's return: {first_success_after:?}"
    );

    // Nothing acknowledged is lost: every ID handed out is in the ledger and the audit log.
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&cluster.url())
        .await
        .expect("connect");
    let recorded: Vec<String> = sqlx::query_scalar("SELECT chitty_id FROM minted_ids")
        .fetch_all(&mut conn)
        .await
        .expect("ledger");
    let audit_rows: Vec<String> =
        sqlx::query_scalar("SELECT ids FROM audit_events WHERE outcome = 'ok'")
            .fetch_all(&mut conn)
            .await
            .expect("audit");
    let recorded: std::collections::HashSet<String> = recorded.into_iter().collect();
    let audit_rows: std::collections::HashSet<String> = audit_rows
        .iter()
        .flat_map(|ids| serde_json::from_str::<Vec<String>>(ids).expect("JSON ids"))
        .collect();
    let acknowledged: Vec<&String> = seen.iter().filter_map(|s| s.4.as_ref()).collect();
    assert!(!acknowledged.is_empty());
    let unique: std::collections::HashSet<&&String> = acknowledged.iter().collect();
    assert_eq!(unique.len(), acknowledged.len(), "no ID handed out twice");
    for id in &acknowledged {
        assert!(
            recorded.contains(*id),
            "{id} acknowledged but not in the ledger"
        );
        assert!(
            !audited || audit_rows.contains(*id),
            "{id} acknowledged but not audited"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_on_a_killed_server_fails_fast_and_generates_return_with_it() {
    let _alone = crate::helpers::HEAVY_LOAD.lock().await;
    let cluster = Cluster::create();
    let dir = tempfile::tempdir().expect("dir");
    let (_running, client) = gateway(&cluster.url(), dir.path()).await;
    killed_under_load(
        &cluster,
        &client,
        "/api/id/generate",
        API_KEY,
        "/ready",
        true,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authority_on_a_killed_server_fails_fast_and_mints_return_with_it() {
    let _alone = crate::helpers::HEAVY_LOAD.lock().await;
    let cluster = Cluster::create();
    let dir = tempfile::tempdir().expect("dir");
    let (_running, client) = authority(&cluster.url(), dir.path()).await;
    killed_under_load(&cluster, &client, "/v1/mint", TOKEN, "/v1/health", false).await;
}
