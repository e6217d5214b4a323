//! Running the `chittyid` binary with arguments and stdin, and reading what it said.

use std::io::Write;
use std::process::{Command, Stdio};

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    pub(crate) fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
            .collect()
    }
}

/// Runs `chittyid ARGS` with `stdin` piped in.
pub(crate) fn chittyid(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the chittyid binary starts");
    let mut child_stdin = child.stdin.take().expect("piped");
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The child may exit before reading everything (a usage error): ignore a broken pipe.
        let _ = child_stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("the chittyid binary runs");
    writer.join().expect("stdin writer");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// A port nothing listens on right now.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// A child process killed (and reaped) when dropped.
pub(crate) struct Running(pub(crate) std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits (10 s at most) until `path` answers 200, each try bounded, or panics naming it.
pub(crate) async fn wait_for(client: &crate::http_client::HttpClient, path: &str) {
    for _ in 0..200 {
        let answered =
            tokio::time::timeout(std::time::Duration::from_millis(200), client.try_get(path)).await;
        if matches!(answered, Ok(Some(status)) if status == 200) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path} never answered 200");
}

/// The mint log key every authority of a test fleet on one database is given (authorities
/// sharing a database must share it): written into `dir`, whose path is returned.
pub(crate) fn fleet_log_key(dir: &std::path::Path) -> std::path::PathBuf {
    let key = chittyid_domain::log::SignerKey::from_seed("chittyid.test/fleet-log", [9; 32])
        .expect("a valid name");
    let path = dir.join("fleet-log-key");
    std::fs::write(&path, format!("{}\n", key.encode())).expect("writes the key");
    path
}

/// Held by the tests that load this 2-core machine with a fleet of processes and by those that
/// time answers under load (an outage's refusals within 100 ms): they run one at a time, so
/// that one's load is not measured as the other's latency. The bounds stay what they are.
pub(crate) static HEAVY_LOAD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
