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
