//! `chittyid authority` as a user starts it.

#[test]
fn the_authority_refuses_a_default_jurisdiction_that_is_no_country() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = crate::helpers::chittyid(
        &[
            "authority",
            "--listen",
            "127.0.0.1:0",
            "--default-jurisdiction",
            "ZZZ",
            "--data-dir",
            dir.path().to_str().expect("utf-8"),
        ],
        b"",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("not an ISO 3166-1 alpha-3 country code"),
        "{}",
        run.stderr
    );
}

/// A first start that fails (its port is taken) creates no token; the next start creates one
/// and shows it, as the gateway does with its dev key.
#[test]
fn a_failed_first_start_leaves_no_unseen_token_and_the_next_start_shows_one() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("utf-8").to_owned();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy_port = busy.local_addr().expect("address").port().to_string();
    let failed = crate::helpers::chittyid(
        &["authority", "--listen", &busy_port, "--data-dir", &data],
        b"",
    );
    assert_eq!(failed.code, 2, "{}", failed.stderr);
    assert!(failed.stderr.contains("binding"), "{}", failed.stderr);
    assert!(
        !dir.path().join(chittyid::authority::TOKEN_FILE).exists(),
        "no token file from a start that failed"
    );
    drop(busy);

    let port = crate::helpers::free_port().to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["authority", "--listen", &port, "--data-dir", &data])
        .env_remove("DATABASE_URL")
        .env_remove("CHITTYID_AUTHORITY_TOKENS")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("piped");
    let (lines, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let shown = seen
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the second start prints something");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        shown.starts_with("Created an authority token"),
        "the token is shown on the start that created it: {shown}"
    );
}

/// Restarts with a few mints each: a graceful stop gives the unused rest of its block back,
/// so ten restarts do not use ten blocks of a space; `authority spaces` and the metric show it.
#[tokio::test]
async fn graceful_restarts_give_unused_numbers_back_and_spaces_shows_the_use() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use crate::helpers::{Running, chittyid, free_port, wait_for};
    use crate::http_client::HttpClient;

    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("utf-8").to_owned();
    let token = "capacity-test-token";
    // Three graceful runs, then one killed: it loses only the rest of its small first block.
    for round in 0..4 {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
            .env_remove("DATABASE_URL")
            .args([
                "authority",
                "--listen",
                &port.to_string(),
                "--data-dir",
                &data,
            ])
            .env("CHITTYID_AUTHORITY_TOKENS", token)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let pid = child.id();
        let mut running = Running(child);
        let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
        wait_for(&client, "/v1/health").await;
        for _ in 0..3 {
            let minted = client
                .post_json(
                    "/v1/mint",
                    Some(token),
                    &serde_json::json!({"entity": "PEO"}),
                )
                .await;
            assert_eq!(minted.status, 200, "{:?}", minted.body);
        }
        if round == 0 {
            // A space's first block is the least (10 numbers): 0.1 % of the space.
            let metrics = String::from_utf8(client.get("/v1/metrics", None).await.body.to_vec())
                .expect("text");
            let line = metrics
                .lines()
                .find(|line| line.starts_with("chittyid_sequence_space_used_ratio{"))
                .unwrap_or_else(|| panic!("no space ratio in\n{metrics}"));
            assert!(line.ends_with(" 0.001"), "{line}");
        }
        let signal = if round == 3 { "-KILL" } else { "-TERM" };
        let _ = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status();
        let started = Instant::now();
        while running.0.try_wait().expect("wait").is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "no exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let listed = chittyid(&["authority", "spaces", "--json", "--data-dir", &data], b"");
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let spaces: serde_json::Value = serde_json::from_str(listed.stdout.trim()).expect("JSON");
    assert_eq!(spaces.as_array().map(Vec::len), Some(1), "{spaces}");
    assert_eq!(
        (&spaces[0]["used"], &spaces[0]["capacity"]),
        (&serde_json::json!(19), &serde_json::json!(10_000)),
        "9 IDs in three graceful runs use 9 numbers, a killed run one small block of 10: {spaces}"
    );
    let text = chittyid(&["authority", "spaces", "--data-dir", &data], b"");
    assert!(
        text.stdout.starts_with("SPACE\tUSED\tCAPACITY\tUSED %\n"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("\t19\t10000\t0.2\n"),
        "{}",
        text.stdout
    );
}
