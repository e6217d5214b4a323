//! The mint log: every minted ID proved against the signed checkpoint (by the domain's checks
//! and by an outside checker in Node that knows only RFC 9162 and C2SP notes), consistency
//! between checkpoints, the endpoints' refusals, and `authority verify-log` on a tampered
//! ledger (real processes).

use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chittyid_domain::log::{
    Checkpoint, Hash, SignedNote, VerifierKey, leaf_hash, verify_consistency, verify_inclusion,
    verify_note,
};
use serde_json::json;

use super::helpers::{TOKEN, TestAuthority, settings, spawn_authority};
use crate::helpers::{Running, free_port, wait_for};
use crate::http_client::HttpClient;

fn text(answer: &crate::http_client::Answer) -> String {
    String::from_utf8(answer.body.to_vec()).expect("UTF-8")
}

pub(crate) async fn verifier_key(client: &HttpClient) -> VerifierKey {
    let answer = client.get("/v1/log/key", None).await;
    assert_eq!(answer.status, 200);
    VerifierKey::parse(text(&answer).trim()).expect("a verifier key")
}

/// The latest checkpoint once it covers `size` leaves (5 s at most), its signature checked.
pub(crate) async fn checkpoint_of(
    client: &HttpClient,
    key: &VerifierKey,
    size: u64,
) -> (Checkpoint, String) {
    for _ in 0..100 {
        let answer = client.get("/v1/log/checkpoint", None).await;
        assert_eq!(answer.status, 200, "{}", text(&answer));
        let note = SignedNote::parse(&text(&answer)).expect("a signed note");
        verify_note(&note, key).expect("signed by the log's key");
        let checkpoint = Checkpoint::parse(&note.text).expect("a checkpoint");
        if checkpoint.size >= size {
            return (checkpoint, text(&answer));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no checkpoint of {size} leaves within 5 s");
}

pub(crate) fn hashes(values: &serde_json::Value) -> Vec<Hash> {
    values
        .as_array()
        .expect("a list")
        .iter()
        .map(|h| {
            BASE64
                .decode(h.as_str().expect("base64"))
                .expect("base64")
                .try_into()
                .expect("32 bytes")
        })
        .collect()
}

async fn mint_ids(authority: &TestAuthority, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..count {
        ids.push(authority.mint_id(["PEO", "PLACE", "PROP"][i % 3]).await);
    }
    ids
}

#[tokio::test]
async fn every_minted_id_is_proved_against_the_signed_checkpoint_and_the_log_only_grows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let client = &authority.client;
    let key = verifier_key(client).await;
    // An empty log answers a signed checkpoint of no leaves.
    let (empty, _) = checkpoint_of(client, &key, 0).await;
    assert_eq!(empty.size, 0);
    assert_eq!(empty.origin, key.name);

    let mut ids = mint_ids(&authority, 7).await;
    let (early, _) = checkpoint_of(client, &key, 7).await;
    let batch = authority
        .client
        .post_json(
            "/v1/mint/batch",
            Some(TOKEN),
            &json!({"requests": [{"entity": "PEO"}, {"entity": "EVNT"}, {"entity": "THING"}]}),
        )
        .await;
    assert_eq!(batch.status, 200, "{}", batch.json());
    ids.extend(
        batch.json()["chittyIds"]
            .as_array()
            .expect("IDs")
            .iter()
            .map(|id| id.as_str().expect("an ID").to_owned()),
    );
    ids.extend(mint_ids(&authority, 10).await);
    let (latest, _) = checkpoint_of(client, &key, 20).await;
    assert_eq!(latest.size, 20);

    let mut indexes = Vec::new();
    for id in &ids {
        let answer = client.get(&format!("/v1/log/proof/{id}"), None).await;
        assert_eq!(answer.status, 200, "{id}: {}", text(&answer));
        let proof = answer.json();
        assert_eq!(proof["treeSize"], 20);
        let leaf = BASE64
            .decode(proof["leaf"].as_str().expect("leaf"))
            .expect("base64");
        let leaf_text = String::from_utf8(leaf.clone()).expect("ASCII");
        assert!(
            leaf_text.starts_with(&format!("chittyid-mint-v1\n{id}\n")),
            "{leaf_text}"
        );
        let index = proof["index"].as_u64().expect("an index");
        verify_inclusion(
            index,
            20,
            &leaf_hash(&leaf),
            &hashes(&proof["hashes"]),
            &latest.root,
        )
        .unwrap_or_else(|err| panic!("{id}: {err}"));
        indexes.push(index);
    }
    // One leaf per mint, in the order minted.
    assert_eq!(indexes, (0..20).collect::<Vec<u64>>());

    // Against the earlier checkpoint too, for the IDs it covers.
    let answer = client
        .get(&format!("/v1/log/proof/{}?size=7", ids[3]), None)
        .await;
    assert_eq!(answer.status, 200);
    let proof = answer.json();
    let leaf = BASE64
        .decode(proof["leaf"].as_str().expect("leaf"))
        .expect("base64");
    assert_eq!(
        verify_inclusion(
            3,
            7,
            &leaf_hash(&leaf),
            &hashes(&proof["hashes"]),
            &early.root
        ),
        Ok(())
    );

    let answer = client.get("/v1/log/consistency?from=7&to=20", None).await;
    assert_eq!(answer.status, 200, "{}", text(&answer));
    assert_eq!(
        verify_consistency(
            7,
            20,
            &early.root,
            &latest.root,
            &hashes(&answer.json()["hashes"])
        ),
        Ok(())
    );
    authority.stop().await;
}

#[tokio::test]
async fn the_log_endpoints_refuse_what_they_cannot_prove_with_a_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let client = &authority.client;
    let key = verifier_key(client).await;
    let id = authority.mint_id("PEO").await;
    checkpoint_of(client, &key, 1).await;
    let cases = [
        ("/v1/log/proof/not-an-id", 404, "not_logged"),
        ("/v1/log/proof/03-1-USA-0001-P-2602-0-85", 404, "not_logged"),
        (
            &format!("/v1/log/proof/{id}?size=2") as &str,
            409,
            "log_size",
        ),
        (&format!("/v1/log/proof/{id}?size=x"), 400, "invalid_query"),
        ("/v1/log/consistency?from=1", 400, "invalid_query"),
        ("/v1/log/consistency?from=2&to=1", 409, "log_size"),
        ("/v1/log/consistency?from=0&to=5", 409, "log_size"),
    ];
    for (path, status, code) in cases {
        let answer = client.get(path, None).await;
        assert_eq!(answer.status, status, "{path}: {}", text(&answer));
        assert_eq!(answer.error_code(), code, "{path}");
    }
    // The same endpoints under /api/v1.
    let under_api = client.get("/api/v1/log/key", None).await;
    assert_eq!(VerifierKey::parse(text(&under_api).trim()), Ok(key));
    authority.stop().await;
}

/// `chittyid authority` as a process on its own data directory.
async fn authority_process(data: &std::path::Path) -> (Running, HttpClient) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["authority", "--listen", &port.to_string(), "--data-dir"])
        .arg(data)
        .env("CHITTYID_AUTHORITY_TOKENS", TOKEN)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let client = HttpClient::new(format!("127.0.0.1:{port}").parse().expect("address"));
    wait_for(&client, "/v1/health").await;
    (Running(child), client)
}

async fn mint_over(client: &HttpClient, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..count {
        let answer = client
            .post_json("/v1/mint", Some(TOKEN), &json!({"entity": "PEO"}))
            .await;
        assert_eq!(answer.status, 200);
        ids.push(answer.json()["chittyId"].as_str().expect("ID").to_owned());
    }
    ids
}

#[tokio::test]
async fn an_outside_checker_verifies_the_checkpoint_and_every_ids_inclusion() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_running, client) = authority_process(dir.path()).await;
    let ids = mint_over(&client, 12).await;
    let key = verifier_key(&client).await;
    checkpoint_of(&client, &key, 12).await;
    let checker = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/interop/log_checker.mjs"
    );
    let run = |key: String, ids: Vec<String>| {
        let base = format!("http://{}", client.address());
        tokio::task::spawn_blocking(move || {
            Command::new("node")
                .arg(checker)
                .arg(base)
                .arg(key)
                .args(ids)
                .output()
                .unwrap_or_else(|err| {
                    panic!(
                        "cannot run node ({err}): install Node.js (Debian's nodejs; \
                         scripts/test.sh does)"
                    )
                })
        })
    };
    let output = run(key.encode(), ids.clone()).await.expect("runs");
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said: serde_json::Value = serde_json::from_str(&said).expect("one JSON line");
    assert_eq!(said["verified"], true);
    assert_eq!(said["checked"], 12);
    assert_eq!(said["size"], 12);

    // The checker is no rubber stamp: another key, or an ID never minted, fails it.
    let other = chittyid_domain::log::SignerKey::from_seed(&key.name, [1; 32])
        .expect("a name")
        .verifier_key()
        .encode();
    let output = run(other, ids.clone()).await.expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("not signed by the verifier key"));
    let output = run(key.encode(), vec!["03-1-USA-0001-P-2602-0-85".to_owned()])
        .await
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("answered 404"));
}

fn verify_log(data: &std::path::Path) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["authority", "verify-log", "--data-dir"])
        .arg(data)
        .env_remove("DATABASE_URL")
        .output()
        .expect("runs");
    (
        output.status.code().expect("exited"),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// Runs one statement on the authority's file, as someone with the file would.
async fn tamper(data: &std::path::Path, statement: &str) {
    use sqlx::Connection as _;
    let url = format!("sqlite://{}", data.join("authority.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("opens");
    let done = sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(&mut conn)
        .await
        .expect("tampers");
    assert!(done.rows_affected() > 0, "{statement} changed nothing");
}

#[tokio::test]
async fn verify_log_finds_ledger_rows_changed_deleted_or_inserted_afterwards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    let ids = {
        let (running, client) = authority_process(data).await;
        let ids = mint_over(&client, 10).await;
        let key = verifier_key(&client).await;
        checkpoint_of(&client, &key, 10).await;
        drop(running);
        ids
    };
    let (status, said) = verify_log(data);
    assert_eq!(status, 0, "{said}");
    assert!(
        said.contains("10 leaves") && said.contains("intact"),
        "{said}"
    );

    tamper(
        data,
        &format!(
            "UPDATE minted_ids SET minted_at_unix_ms = minted_at_unix_ms + 1 WHERE chitty_id = '{}'",
            ids[3]
        ),
    )
    .await;
    tamper(
        data,
        &format!("DELETE FROM minted_ids WHERE chitty_id = '{}'", ids[6]),
    )
    .await;
    tamper(
        data,
        "INSERT INTO minted_ids (chitty_id, entity_name, entity_type, caller_hash, minted_at_unix_ms)
         VALUES ('03-1-USA-0001-P-2602-0-85', 'PEO', 'P', 'x', 1)",
    )
    .await;
    let (status, said) = verify_log(data);
    assert_eq!(status, 1, "{said}");
    assert!(
        said.contains(&format!(
            "leaf 3: the ledger's row of {} was changed",
            ids[3]
        )),
        "{said}"
    );
    assert!(
        said.contains("leaf 6: its ledger row was deleted"),
        "{said}"
    );
    assert!(
        said.contains("03-1-USA-0001-P-2602-0-85 is in the ledger but not in the log"),
        "{said}"
    );

    // The log itself tampered with: the signed checkpoints give it away.
    for (statement, expected) in [
        (
            "DELETE FROM log_leaves WHERE idx = 9",
            "a checkpoint of 10 leaves was signed, but only 9 leaves could be checked",
        ),
        (
            "DELETE FROM log_leaves WHERE idx = 4",
            "leaves 4 to 4 are missing from the log: they were deleted",
        ),
        (
            "UPDATE log_leaves SET hash = zeroblob(32) WHERE idx = 2",
            "the log's leaves up to 9 do not give the root of the checkpoint of 10 leaves",
        ),
        (
            "UPDATE log_checkpoints SET note = replace(note, char(10) || '10' || char(10), \
             char(10) || '11' || char(10)) WHERE size = 10",
            "the checkpoint of 10: the note's signature by this key does not verify",
        ),
    ] {
        let copy = tempfile::tempdir().expect("temp dir");
        for file in ["authority.db", "log-signing-key", "authority-tokens"] {
            let _ = std::fs::copy(data.join(file), copy.path().join(file));
        }
        tamper(copy.path(), statement).await;
        let (status, said) = verify_log(copy.path());
        assert_eq!(status, 1, "{statement}: {said}");
        assert!(said.contains(expected), "{statement}: {said}");
    }
    // The key file was created owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data.join("log-signing-key"))
            .expect("the key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn an_authority_given_another_log_key_than_its_stores_refuses_to_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let (_running, client) = authority_process(dir.path()).await;
        mint_over(&client, 1).await;
    }
    let other = dir.path().join("other-key");
    let key =
        chittyid_domain::log::SignerKey::from_seed("chittyid.test/other", [3; 32]).expect("a name");
    std::fs::write(&other, key.encode()).expect("writes");
    let output = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["authority", "--listen", "127.0.0.1:0", "--log-key"])
        .arg(&other)
        .arg("--data-dir")
        .arg(dir.path())
        .env("CHITTYID_AUTHORITY_TOKENS", TOKEN)
        .env_remove("DATABASE_URL")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("must be given the same log key"), "{said}");
    assert!(said.contains(&key.verifier_key().encode()), "{said}");
    // The secret is never printed, only the public key.
    assert!(!said.contains(&key.encode()), "{said}");
}

#[tokio::test]
async fn a_mint_asked_with_proof_true_is_answered_with_its_receipt() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    let client = &authority.client;
    let key = verifier_key(client).await;
    authority.mint_id("PEO").await;
    let check = |receipt: &serde_json::Value, ids: &[&str]| {
        let note = SignedNote::parse(receipt["checkpoint"].as_str().expect("a note"))
            .expect("a signed note");
        verify_note(&note, &key).expect("signed by the log's key");
        let checkpoint = Checkpoint::parse(&note.text).expect("a checkpoint");
        let proofs = receipt["proofs"].as_array().expect("proofs");
        assert_eq!(proofs.len(), ids.len());
        for (proof, id) in proofs.iter().zip(ids) {
            let leaf = BASE64
                .decode(proof["leaf"].as_str().expect("leaf"))
                .expect("b64");
            assert!(String::from_utf8_lossy(&leaf).contains(id), "{proof}");
            assert_eq!(proof["treeSize"].as_u64(), Some(checkpoint.size));
            verify_inclusion(
                proof["index"].as_u64().expect("index"),
                checkpoint.size,
                &leaf_hash(&leaf),
                &hashes(&proof["hashes"]),
                &checkpoint.root,
            )
            .unwrap_or_else(|err| panic!("{id}: {err}"));
        }
    };
    let answer = client
        .post_json(
            "/v1/mint?proof=true",
            Some(TOKEN),
            &json!({"entity": "PLACE"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.json());
    let minted = answer.json();
    check(
        &minted["receipt"],
        &[minted["chittyId"].as_str().expect("ID")],
    );

    let answer = client
        .post_json(
            "/v1/mint/batch?proof=true",
            Some(TOKEN),
            &json!({"requests": [{"entity": "PEO"}, {"entity": "THING"}]}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.json());
    let batch = answer.json();
    let ids: Vec<&str> = batch["chittyIds"]
        .as_array()
        .expect("IDs")
        .iter()
        .map(|id| id.as_str().expect("ID"))
        .collect();
    check(&batch["receipt"], &ids);
    // Without the flag, no receipt and no wait.
    let plain = authority.mint(&json!({"entity": "PEO"})).await.json();
    assert!(plain.get("receipt").is_none(), "{plain}");
    let refused = client
        .post_json(
            "/v1/mint?proof=maybe",
            Some(TOKEN),
            &json!({"entity": "PEO"}),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.error_code(), "invalid_query");
    authority.stop().await;
}

#[tokio::test]
async fn a_graceful_stop_checkpoints_the_last_mints() {
    let dir = tempfile::tempdir().expect("temp dir");
    let authority = spawn_authority(settings(dir.path())).await;
    // Minted and stopped at once, before the checkpointer's next turn.
    authority.mint_id("PEO").await;
    authority.mint_id("PEO").await;
    authority.stop().await;
    use sqlx::Connection as _;
    let url = format!("sqlite://{}", dir.path().join("authority.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("opens");
    let size: Option<i64> = sqlx::query_scalar("SELECT max(size) FROM log_checkpoints")
        .fetch_one(&mut conn)
        .await
        .expect("reads");
    assert_eq!(size, Some(2));
}

#[test]
fn new_log_key_prints_a_signer_key_for_a_fleet() {
    let output = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args([
            "authority",
            "new-log-key",
            "--name",
            "id.example.com/mint-log",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("text");
    let key = chittyid_domain::log::SignerKey::parse(text.trim()).expect("a signer key");
    assert_eq!(key.name(), "id.example.com/mint-log");
    let other = Command::new(env!("CARGO_BIN_EXE_chittyid"))
        .args(["authority", "new-log-key"])
        .output()
        .expect("runs");
    let other = String::from_utf8(other.stdout).expect("text");
    assert!(
        other.starts_with("PRIVATE+KEY+chittyid.local/mint-log/"),
        "{other}"
    );
    assert_ne!(other.trim(), text.trim(), "a new key each time");
}

#[tokio::test]
async fn mints_a_killed_authority_did_not_checkpoint_are_checkpointed_at_the_next_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ids = {
        let (running, client) = authority_process(dir.path()).await;
        let ids = mint_over(&client, 3).await;
        // SIGKILL at once, most likely before the checkpointer's next turn.
        drop(running);
        ids
    };
    let (_running, client) = authority_process(dir.path()).await;
    let key = verifier_key(&client).await;
    // Checkpointed before the server took its first request.
    let answer = client.get("/v1/log/checkpoint", None).await;
    let note = SignedNote::parse(&text(&answer)).expect("a signed note");
    verify_note(&note, &key).expect("signed");
    assert_eq!(Checkpoint::parse(&note.text).expect("a checkpoint").size, 3);
    for id in ids {
        let answer = client.get(&format!("/v1/log/proof/{id}"), None).await;
        assert_eq!(answer.status, 200, "{id}");
    }
}

#[tokio::test]
async fn a_mint_whose_receipt_does_not_come_in_time_is_answered_all_the_same() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A store that refuses every checkpoint (as a full or broken one would).
    spawn_authority(settings(dir.path())).await.stop().await;
    {
        use sqlx::Connection as _;
        let url = format!("sqlite://{}", dir.path().join("authority.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("opens");
        sqlx::query(
            "CREATE TRIGGER no_checkpoints BEFORE INSERT ON log_checkpoints
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .execute(&mut conn)
        .await
        .expect("creates the trigger");
    }
    let authority = spawn_authority(settings(dir.path())).await;
    let started = std::time::Instant::now();
    let answer = authority
        .client
        .post_json(
            "/v1/mint?proof=true",
            Some(TOKEN),
            &json!({"entity": "PEO"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.json());
    let minted = answer.json();
    assert!(minted.get("receipt").is_none(), "{minted}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The ID is minted and recorded all the same.
    let id = minted["chittyId"].as_str().expect("ID");
    assert_eq!(authority.validate(id).await.json()["valid"], true);
    authority.stop().await;
}
