//! The embedded store under storage faults: a full disk, several processes opening one new
//! file at once, and the modes its files are created with.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use super::helpers::{settings, spawn_app_with};

/// A small tmpfs mounted on a temp dir, unmounted on drop: a disk that really fills up.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "the full-disk tests mount a small tmpfs and need root for it: run them as root \
             (the test command, scripts/test.sh, does)"
        );
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the disk refuses more.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        // The last partial blocks.
        while file.write_all(&block[..512]).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_fails_generates_clearly_and_they_succeed_again_once_space_is_free() {
    let disk = SmallDisk::mount("4m");
    let data = tempfile::Builder::new()
        .tempdir_in(disk.path())
        .expect("data dir");
    let config = settings(&data);
    let app = spawn_app_with(config, data).await;
    app.ready_becomes(200).await;
    app.generate_id("PEO").await;

    let filler = disk.fill();
    for _ in 0..5 {
        let answer = app.generate(&json!({"entity": "PEO"})).await;
        assert_eq!(
            answer.status,
            503,
            "a full disk is a 503, never an unrecorded ID: {}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    let health = app.client.get("/health", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "degraded");
    let ready = app.client.get("/ready", None).await;
    assert_eq!(ready.status, 503);
    // What the alerts and the dashboard read: the failed generates, and not ready. (The
    // embedded authority's store fails first here, so the breaker opens.)
    let metrics =
        String::from_utf8(app.client.get("/metrics", None).await.body.to_vec()).expect("text");
    for series in [
        "chittyid_generation_requests_total{outcome=\"failure\"} 5",
        "chittyid_ready 0",
    ] {
        assert!(metrics.contains(series), "{series} in\n{metrics}");
    }

    std::fs::remove_file(filler).expect("free the space");
    let mut recovered = None;
    for _ in 0..100 {
        let answer = app.generate(&json!({"entity": "PEO"})).await;
        if answer.status == 200 {
            recovered = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered.is_some(), "mints succeed again without a restart");
    app.ready_becomes(200).await;
    app.stop().await;
}

#[tokio::test]
async fn database_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("new");
    let mut config = settings(&dir);
    config.data_dir = data.clone();
    config.upstream =
        chittyid::gateway::Upstream::Embedded(chittyid::authority::Settings::new(data.clone()));
    let app = spawn_app_with(config, dir).await;
    app.generate_id("PEO").await;
    let mut seen = 0;
    for entry in std::fs::read_dir(&data).expect("data dir") {
        let entry = entry.expect("entry");
        let mode = entry.metadata().expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{:?} is {mode:o}", entry.file_name());
        seen += 1;
    }
    assert!(seen >= 2, "the database and its WAL");
    app.stop().await;
}

/// Four authority processes started at the same moment on one new data directory: every one
/// comes up (no migration race, no half-written token file) and they mint distinct IDs.
#[tokio::test]
async fn several_authorities_started_at_once_on_a_new_data_dir_all_serve() {
    use std::process::Stdio;
    for round in 0..3 {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let ports: Vec<u16> = (0..4).map(|_| crate::helpers::free_port()).collect();
        let mut children: Vec<_> = ports
            .iter()
            .map(|port| {
                Command::new(env!("CARGO_BIN_EXE_chittyid"))
                    .env_remove("DATABASE_URL")
                    .env_remove("REDIS_URL")
                    .args(["authority", "--listen", &format!("127.0.0.1:{port}")])
                    .arg("--data-dir")
                    .arg(&data)
                    .env_remove("CHITTYID_AUTHORITY_TOKENS")
                    .env("RUST_LOG", "error")
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("starts")
            })
            .collect();
        let mut up = 0;
        for port in &ports {
            let client = crate::http_client::HttpClient::new(
                format!("127.0.0.1:{port}").parse().expect("address"),
            );
            for _ in 0..100 {
                if matches!(client.try_get("/v1/health").await, Some(status) if status == 200) {
                    up += 1;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let mut exited = Vec::new();
        for child in &mut children {
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                }
                exited.push(format!("{status}: {stderr}"));
            }
        }
        for child in &mut children {
            let _ = child.kill();
            let _ = child.wait();
        }
        assert_eq!(up, 4, "round {round}: exited: {exited:?}");
    }
}

/// A store that fails is logged once per failure found, as one line with its causes, never
/// once per refused request and never with a backtrace, even with `RUST_BACKTRACE=1`.
#[tokio::test]
async fn a_full_disk_under_the_authority_is_logged_once_per_failure_without_backtraces() {
    use crate::http_client::HttpClient;
    const TOKEN: &str = "full-disk-log-token";
    let disk = SmallDisk::mount("4m");
    let data = disk.path().join("authority");
    let log = tempfile::NamedTempFile::new().expect("log file");
    let port = crate::helpers::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["authority", "--listen", &port.to_string(), "--data-dir"])
        .arg(&data)
        .env("CHITTYID_AUTHORITY_TOKENS", TOKEN)
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(log.reopen().expect("log"))
        .spawn()
        .expect("starts");
    let running = crate::helpers::Running(child);
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    crate::helpers::wait_for(&client, "/v1/health").await;
    let body = json!({"entity": "PEO"});
    let mint = || client.post_json("/v1/mint", Some(TOKEN), &body);
    assert_eq!(mint().await.status, 200);
    let filler = disk.fill();
    let mut refused = 0;
    for _ in 0..200 {
        let answer = mint().await;
        assert_ne!(answer.status, 200, "nothing is minted on a full disk");
        assert_eq!(answer.status, 503);
        refused += 1;
    }
    std::fs::remove_file(filler).expect("free the space");
    drop(running);
    let text = std::fs::read_to_string(log.path()).expect("log");
    let errors = text.lines().filter(|line| line.contains("ERROR")).count();
    println!("{refused} mints refused; {errors} error lines:\n{text}");
    assert!(
        !text.to_lowercase().contains("backtrace"),
        "no backtraces:\n{text}"
    );
    assert!(
        (1..=20).contains(&errors),
        "the failure is logged, but not once per refused mint: {errors} error lines for {refused}"
    );
}

/// Audit events older than the retention are deleted at start (and every 5 minutes); newer
/// ones stay.
#[tokio::test]
async fn audit_events_past_the_retention_are_deleted_and_newer_ones_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = settings(&dir);
    config.gateway.audit_retention = Some(Duration::from_secs(24 * 60 * 60));
    let app = spawn_app_with(config.clone(), dir).await;
    let kept = app.generate_id("PEO").await;
    let (_, dir) = app.stop_and_keep_audit().await;
    // What a gateway running two days ago would have left.
    let database = dir.path().join(chittyid::authority::DATABASE_FILE);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display()))
        .await
        .expect("open");
    let two_days_ago = chittyid_app::unix_now_ms() - 2 * 24 * 60 * 60 * 1_000;
    for n in 0..3 {
        sqlx::query(
            "INSERT INTO audit_events (at_unix_ms, action, caller_hash, outcome, ids, entity)
             VALUES (?1, 'generate', 'old', 'ok', ?2, NULL)",
        )
        .bind(two_days_ago + n)
        .bind(format!("[\"old-{n}\"]"))
        .execute(&pool)
        .await
        .expect("insert");
    }
    pool.close().await;
    let app = spawn_app_with(config, dir).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let events = loop {
        let events = app.audit.recent_audit_events(100).await.expect("read");
        if events.iter().all(|e| e.caller_hash != "old") || std::time::Instant::now() > deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        events.iter().all(|e| e.caller_hash != "old"),
        "the events past the retention are gone: {events:?}"
    );
    assert!(
        events.iter().any(|e| e.ids.contains(&kept)),
        "the recent event is kept: {events:?}"
    );
    app.stop().await;
}
