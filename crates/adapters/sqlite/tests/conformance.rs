//! The store and ledger conformance checks, on a real SQLite file.

use chittyid_app::authority::conformance;
use chittyid_sqlite::SqliteStore;

async fn store_in(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("authority.db"))
        .await
        .expect("the store opens")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_never_reserve_the_same_counter() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (first, second) = (store_in(&dir).await, store_in(&dir).await);
    conformance::concurrent_blocks_never_overlap(first, second).await;
}

#[tokio::test]
async fn a_full_space_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    conformance::exhaustion_is_refused_without_wrapping(&store_in(&dir).await).await;
}

#[tokio::test]
async fn the_key_is_shared_and_survives_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = store_in(&dir).await;
    conformance::the_permutation_key_is_shared(&first, &store_in(&dir).await).await;
    use chittyid_app::authority::SequenceStore;
    let before = first.permutation_key().await.expect("key");
    drop(first);
    let reopened = store_in(&dir).await;
    assert_eq!(reopened.permutation_key().await.expect("key"), before);
}

#[tokio::test]
async fn the_store_answers_its_ping() {
    let dir = tempfile::tempdir().expect("temp dir");
    conformance::a_working_store_answers_its_ping(&store_in(&dir).await).await;
}

#[tokio::test]
async fn records_are_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    conformance::records_are_found_as_recorded(&store_in(&dir).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_records_share_transactions_and_all_land() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store_in(&dir).await;
    conformance::concurrent_records_all_land(store.clone()).await;
    let stats = store.stats();
    assert_eq!(stats.records(), 200);
    println!("200 records in {} transactions", stats.transactions());
    assert!(stats.transactions() <= 200);
}

#[tokio::test]
async fn duplicates_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    conformance::a_duplicate_is_refused(&store_in(&dir).await).await;
}

#[tokio::test]
async fn audit_events_are_durable_after_a_flush_and_keep_only_the_key_hash() {
    use chittyid_app::authority::CallerHash;
    use chittyid_app::gateway::{AuditEvent, AuditSink};
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store_in(&dir).await;
    for n in 0..3 {
        store
            .record(AuditEvent {
                at_unix_ms: 1_795_000_000_000 + n,
                action: "generate",
                caller: CallerHash::of_token("the-api-key"),
                outcome: "ok",
                ids: vec![format!("id-{n}")],
                entity: Some("PEO".to_owned()),
            })
            .await
            .expect("queued");
    }
    store.flush().await.expect("flushed");
    drop(store);
    let reopened = store_in(&dir).await;
    let events = reopened.recent_audit_events(10).await.expect("read");
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].ids, ["id-2"]);
    assert_eq!(
        events[0].caller_hash,
        CallerHash::of_token("the-api-key").to_hex()
    );
    assert!(
        events
            .iter()
            .all(|e| !e.caller_hash.contains("the-api-key"))
    );
}

#[tokio::test]
async fn keys_are_kept_with_their_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    conformance::keys_are_kept_with_their_records(&store_in(&dir).await).await;
}

#[tokio::test]
async fn idempotency_keys_pass_the_conformance_checks() {
    use chittyid_app::gateway::conformance as keys;
    let dirs: Vec<_> = (0..4)
        .map(|_| tempfile::tempdir().expect("temp dir"))
        .collect();
    keys::same_key_and_body_replays_other_body_conflicts(&store_in(&dirs[0]).await).await;
    keys::a_released_key_is_free_and_an_unknown_one_is_never_reminted(&store_in(&dirs[1]).await)
        .await;
    keys::a_claim_past_its_lease_has_an_unknown_outcome(&store_in(&dirs[2]).await).await;
    keys::keys_live_their_whole_ttl_and_sweeping_drops_only_expired_ones(&store_in(&dirs[3]).await)
        .await;
}

#[tokio::test]
async fn api_keys_are_kept_rotated_and_revoked() {
    let dir = tempfile::tempdir().expect("temp dir");
    chittyid_app::gateway::conformance::api_keys_are_kept_rotated_and_revoked(
        &store_in(&dir).await,
    )
    .await;
}

#[tokio::test]
async fn unused_numbers_go_back_only_from_the_last_block() {
    let dir = tempfile::tempdir().expect("temp dir");
    conformance::unused_numbers_go_back_only_from_the_last_block(&store_in(&dir).await).await;
}

#[tokio::test]
async fn recorded_mints_are_logged_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    conformance::recorded_mints_are_logged_in_order(&store_in(&dir).await).await;
}

/// Mints an older version recorded (ledger rows, no leaves) join the log once, at the next
/// start, in the order they were minted.
#[tokio::test]
async fn mints_recorded_before_the_log_existed_join_it_once_in_minting_order() {
    use chittyid_app::authority::MintLog as _;
    use chittyid_domain::ChittyId;
    use chittyid_domain::log::{leaf_hash, mint_leaf};
    use sqlx::Connection as _;
    let dir = tempfile::tempdir().expect("temp dir");
    drop(store_in(&dir).await);
    let first = ChittyId::parse("03-1-USA-0001-P-2602-0-85").expect("canonical");
    let ids: Vec<String> = (1..=3)
        .map(|n| {
            let mut components = first.components();
            components.sequence = chittyid_domain::Sequence::try_new(n).expect("in range");
            ChittyId::from_components(components).as_str().to_owned()
        })
        .collect();
    let url = format!("sqlite://{}", dir.path().join("authority.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("opens");
    for (id, at) in ids.iter().zip([30, 10, 20]) {
        sqlx::query(
            "INSERT INTO minted_ids (chitty_id, entity_name, entity_type, caller_hash,
                                     minted_at_unix_ms) VALUES (?1, 'PEO', 'P', 'c', ?2)",
        )
        .bind(id)
        .bind(at)
        .execute(&mut conn)
        .await
        .expect("inserts");
    }
    conn.close().await.expect("closes");
    let leaf = |id: &str, at: i64| leaf_hash(&mint_leaf(&ChittyId::parse(id).expect("ID"), at));
    let expected = vec![leaf(&ids[1], 10), leaf(&ids[2], 20), leaf(&ids[0], 30)];
    let store = store_in(&dir).await;
    assert_eq!(store.leaves(0, 10).await.expect("leaves"), expected);
    drop(store);
    let store = store_in(&dir).await;
    assert_eq!(store.leaves(0, 10).await.expect("leaves"), expected, "once");
}
