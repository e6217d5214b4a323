//! The store, ledger and idempotency conformance checks, on a real PostgreSQL server
//! (`DATABASE_URL`), each test on a database of its own.

use chittyid_app::authority::conformance;
use chittyid_app::gateway::conformance as keys;
use chittyid_postgres::testing::TestDatabase;
use chittyid_postgres::{PgStore, PoolSettings};

async fn store(db: &TestDatabase) -> PgStore {
    PgStore::connect(db.url(), PoolSettings::default())
        .await
        .expect("the store connects and migrates")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_database_never_reserve_the_same_counter() {
    let db = TestDatabase::create().await;
    let (first, second) = (store(&db).await, store(&db).await);
    conformance::concurrent_blocks_never_overlap(first, second).await;
}

#[tokio::test]
async fn a_full_space_is_refused() {
    let db = TestDatabase::create().await;
    conformance::exhaustion_is_refused_without_wrapping(&store(&db).await).await;
}

#[tokio::test]
async fn the_key_is_shared() {
    let db = TestDatabase::create().await;
    conformance::the_permutation_key_is_shared(&store(&db).await, &store(&db).await).await;
}

#[tokio::test]
async fn the_store_answers_its_ping() {
    let db = TestDatabase::create().await;
    conformance::a_working_store_answers_its_ping(&store(&db).await).await;
}

#[tokio::test]
async fn records_are_found() {
    let db = TestDatabase::create().await;
    conformance::records_are_found_as_recorded(&store(&db).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_records_share_transactions_and_all_land() {
    let db = TestDatabase::create().await;
    let store = store(&db).await;
    conformance::concurrent_records_all_land(store.clone()).await;
    println!("200 records in {} transactions", store.transactions());
    assert!(
        store.transactions() < 200,
        "group commit shared transactions"
    );
}

#[tokio::test]
async fn duplicates_are_refused() {
    let db = TestDatabase::create().await;
    conformance::a_duplicate_is_refused(&store(&db).await).await;
}

#[tokio::test]
async fn keys_are_kept_with_their_records() {
    let db = TestDatabase::create().await;
    conformance::keys_are_kept_with_their_records(&store(&db).await).await;
}

#[tokio::test]
async fn idempotency_keys_pass_the_conformance_checks() {
    let dbs = [
        TestDatabase::create().await,
        TestDatabase::create().await,
        TestDatabase::create().await,
        TestDatabase::create().await,
    ];
    keys::same_key_and_body_replays_other_body_conflicts(&store(&dbs[0]).await).await;
    keys::a_released_key_is_free_and_an_unknown_one_is_never_reminted(&store(&dbs[1]).await).await;
    keys::a_claim_past_its_lease_has_an_unknown_outcome(&store(&dbs[2]).await).await;
    keys::keys_live_their_whole_ttl_and_sweeping_drops_only_expired_ones(&store(&dbs[3]).await)
        .await;
}

#[tokio::test]
async fn audit_events_are_committed_when_recorded_and_keep_only_the_key_hash() {
    use chittyid_app::authority::CallerHash;
    use chittyid_app::gateway::{AuditEvent, AuditSink};
    let db = TestDatabase::create().await;
    let first = store(&db).await;
    for n in 0..3 {
        first
            .record(AuditEvent {
                at_unix_ms: 1_795_000_000_000 + n,
                action: "generate",
                caller: CallerHash::of_token("the-api-key"),
                outcome: "ok",
                ids: vec![format!("id-{n}")],
                entity: Some("PEO".to_owned()),
            })
            .await
            .expect("committed");
    }
    // Another process's view, without a flush: recorded means committed.
    let other = store(&db).await;
    let events = other.recent_audit_events(10).await.expect("read");
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].ids, ["id-2"]);
    assert_eq!(
        events[0].caller_hash,
        CallerHash::of_token("the-api-key").to_hex()
    );
    assert!(other.health().await.is_ok());
}

#[tokio::test]
async fn a_server_that_refuses_is_a_clear_error_without_the_url() {
    let err = PgStore::connect(
        "postgres://nobody:secret-password@127.0.0.1:1/none",
        PoolSettings {
            acquire_timeout: std::time::Duration::from_millis(500),
            ..PoolSettings::default()
        },
    )
    .await
    .expect_err("nothing listens on port 1");
    let message = format!("{err:#}");
    assert!(message.contains("connecting to PostgreSQL"), "{message}");
    assert!(!message.contains("secret-password"), "{message}");
}

#[tokio::test]
async fn api_keys_are_kept_rotated_and_revoked() {
    let db = TestDatabase::create().await;
    keys::api_keys_are_kept_rotated_and_revoked(&store(&db).await).await;
}

#[tokio::test]
async fn unused_numbers_go_back_only_from_the_last_block() {
    let db = TestDatabase::create().await;
    conformance::unused_numbers_go_back_only_from_the_last_block(&store(&db).await).await;
}

#[tokio::test]
async fn recorded_mints_are_logged_in_order() {
    let db = TestDatabase::create().await;
    conformance::recorded_mints_are_logged_in_order(&store(&db).await).await;
}

/// Mints an older version recorded (ledger rows, no leaves) join the log once, at the next
/// start, in the order they were minted.
#[tokio::test]
async fn mints_recorded_before_the_log_existed_join_it_once_in_minting_order() {
    use chittyid_app::authority::MintLog as _;
    use chittyid_domain::ChittyId;
    use chittyid_domain::log::{leaf_hash, mint_leaf};
    use sqlx::Connection as _;
    let db = TestDatabase::create().await;
    drop(store(&db).await);
    let ids: Vec<String> = person_ids(3)
        .iter()
        .map(|id| id.as_str().to_owned())
        .collect();
    let mut conn = sqlx::PgConnection::connect(db.url())
        .await
        .expect("connects");
    for (id, at) in ids.iter().zip([30i64, 10, 20]) {
        sqlx::query(
            "INSERT INTO minted_ids (chitty_id, entity_name, entity_type, caller_hash,
                                     minted_at_unix_ms) VALUES ($1, 'PEO', 'P', 'c', $2)",
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
    let first = store(&db).await;
    assert_eq!(first.leaves(0, 10).await.expect("leaves"), expected);
    let second = store(&db).await;
    assert_eq!(
        second.leaves(0, 10).await.expect("leaves"),
        expected,
        "once"
    );
    // The head moved with them: the next mint is leaf 3.
    let head: i64 = sqlx::query_scalar("SELECT size FROM log_head")
        .fetch_one(
            &mut sqlx::PgConnection::connect(db.url())
                .await
                .expect("connects"),
        )
        .await
        .expect("reads");
    assert_eq!(head, 3);
}

/// Person IDs of one space, with sequences 1 to `count`.
fn person_ids(count: u32) -> Vec<chittyid_domain::ChittyId> {
    use chittyid_domain::ChittyId;
    let first = ChittyId::parse("03-1-USA-0001-P-2602-0-85").expect("canonical");
    (1..=count)
        .map(|n| {
            let mut components = first.components();
            components.sequence = chittyid_domain::Sequence::try_new(n).expect("in range");
            ChittyId::from_components(components)
        })
        .collect()
}

fn mint_record(
    id: chittyid_domain::ChittyId,
    minted_at_unix_ms: i64,
) -> chittyid_app::authority::MintRecord {
    chittyid_app::authority::MintRecord {
        id,
        entity_name: "PEO".to_owned(),
        name: None,
        metadata: None,
        caller: chittyid_app::authority::CallerHash::of_token("t"),
        minted_at_unix_ms,
    }
}

/// A database whose leaves an older version kept one row each (`log_leaves`) keeps them,
/// as runs of one, when the leaves move to runs; the next mint's run follows them.
#[tokio::test]
async fn leaves_kept_one_row_each_become_runs_and_the_log_goes_on() {
    use chittyid_app::authority::{MintLedger as _, MintLog as _};
    use chittyid_domain::log::{leaf_hash, mint_leaf};
    use sqlx::Connection as _;
    let db = TestDatabase::create().await;
    chittyid_postgres::testing::migrate_to(db.url(), 4)
        .await
        .expect("the older migrations apply");
    let ids = person_ids(3);
    let leaf = |i: usize| leaf_hash(&mint_leaf(&ids[i], 10 + i as i64));
    let mut conn = sqlx::PgConnection::connect(db.url())
        .await
        .expect("connects");
    for (i, id) in ids.iter().enumerate().take(2) {
        sqlx::query(
            "INSERT INTO minted_ids (chitty_id, entity_name, entity_type, caller_hash,
                                     minted_at_unix_ms, log_index) VALUES ($1, 'PEO', 'P', 'c', $2, $3)",
        )
        .bind(id.as_str())
        .bind(10 + i as i64)
        .bind(i as i64)
        .execute(&mut conn)
        .await
        .expect("a ledger row");
        sqlx::query("INSERT INTO log_leaves (idx, hash) VALUES ($1, $2)")
            .bind(i as i64)
            .bind(leaf(i).to_vec())
            .execute(&mut conn)
            .await
            .expect("a leaf row");
    }
    sqlx::query("UPDATE log_head SET size = 2")
        .execute(&mut conn)
        .await
        .expect("the head");
    conn.close().await.expect("closes");

    let store = store(&db).await;
    assert_eq!(
        store.leaves(0, 10).await.expect("leaves"),
        vec![leaf(0), leaf(1)]
    );
    store
        .record(vec![mint_record(ids[2], 12)], None)
        .await
        .expect("recorded");
    assert_eq!(
        store.leaves(0, 10).await.expect("leaves"),
        vec![leaf(0), leaf(1), leaf(2)]
    );
    assert_eq!(store.leaves(1, 1).await.expect("leaves"), vec![leaf(1)]);
    assert_eq!(store.index_of(&ids[2]).await.expect("index"), Some(2));
    let logged = store.logged_mints(0, 10).await.expect("read");
    assert_eq!(
        logged.iter().map(|m| m.index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert!(logged.iter().all(|m| m.ledger.is_some()));
    assert_eq!(
        store.unlogged_mints(10).await.expect("read"),
        Vec::<String>::new()
    );
}

/// Leaves are read from inside a run, across runs and up to a limit; a run missing in the
/// middle (a row deleted afterwards) ends the leaves read at the gap, and the mints it held
/// are found missing from the log.
#[tokio::test]
async fn leaves_are_read_across_runs_and_stop_at_a_missing_run() {
    use chittyid_app::authority::{MintLedger as _, MintLog as _};
    use chittyid_domain::log::{NodeId, leaf_hash, mint_leaf};
    use sqlx::Connection as _;
    let db = TestDatabase::create().await;
    let store = store(&db).await;
    let ids = person_ids(6);
    let record = |i: usize| mint_record(ids[i], 20 + i as i64);
    // Runs [0, 1, 2], [3], [4, 5].
    for group in [&[0usize, 1, 2][..], &[3], &[4, 5]] {
        store
            .record(group.iter().map(|&i| record(i)).collect(), None)
            .await
            .expect("recorded");
    }
    let leaf = |i: usize| leaf_hash(&mint_leaf(&ids[i], 20 + i as i64));
    let all: Vec<_> = (0..6).map(leaf).collect();
    assert_eq!(store.leaves(0, 100).await.expect("leaves"), all);
    assert_eq!(store.leaves(1, 3).await.expect("leaves"), all[1..4]);
    assert_eq!(store.leaves(2, 100).await.expect("leaves"), all[2..]);
    assert_eq!(store.leaves(5, 100).await.expect("leaves"), all[5..]);
    assert!(store.leaves(6, 100).await.expect("leaves").is_empty());
    let mut nodes = store
        .nodes(&[
            NodeId::leaf(1),
            NodeId::leaf(3),
            NodeId::leaf(5),
            NodeId::leaf(6),
        ])
        .await
        .expect("nodes");
    nodes.sort();
    assert_eq!(
        nodes,
        vec![
            (NodeId::leaf(1), all[1]),
            (NodeId::leaf(3), all[3]),
            (NodeId::leaf(5), all[5])
        ]
    );
    let logged = store.logged_mints(2, 3).await.expect("read");
    assert_eq!(
        logged
            .iter()
            .map(|m| (m.index, m.leaf_hash))
            .collect::<Vec<_>>(),
        vec![(2, all[2]), (3, all[3]), (4, all[4])]
    );

    let mut conn = sqlx::PgConnection::connect(db.url())
        .await
        .expect("connects");
    sqlx::query("DELETE FROM log_leaf_runs WHERE start_idx = 3")
        .execute(&mut conn)
        .await
        .expect("deletes");
    conn.close().await.expect("closes");
    assert_eq!(store.leaves(0, 100).await.expect("leaves"), all[..3]);
    assert!(store.leaves(3, 100).await.expect("leaves").is_empty());
    assert_eq!(
        store.unlogged_mints(10).await.expect("read"),
        vec![ids[3].as_str().to_owned()]
    );
    let indexes: Vec<u64> = store
        .logged_mints(0, 100)
        .await
        .expect("read")
        .iter()
        .map(|m| m.index)
        .collect();
    assert_eq!(indexes, vec![0, 1, 2, 4, 5]);
}
