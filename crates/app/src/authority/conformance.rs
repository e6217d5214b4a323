//! Checks every sequence store and mint ledger must pass, whatever its backend: the SQLite
//! adapter runs them; any other store adapter should run the same. Each panics on failure.

use std::collections::HashSet;

use chittyid_domain::{
    ChittyId, EntityType, Jurisdiction, Region, Sequence, SequenceSpace, TrustLevel, Version,
    YearMonth,
};

use super::log::{LedgerEntry, MintLog, StoredCheckpoint};
use super::ports::{
    CallerHash, KeptMint, LedgerError, MintKey, MintLedger, MintRecord, SequenceStore,
    SequenceStoreError,
};

/// A space no other check uses, so that checks can share a store.
pub fn space(tag: &str) -> SequenceSpace {
    let letters: Vec<u8> = tag.bytes().filter(u8::is_ascii_uppercase).take(3).collect();
    SequenceSpace {
        version: Version::CURRENT,
        region: Region::Digital,
        jurisdiction: Jurisdiction::try_new(std::str::from_utf8(&letters).unwrap_or("ZZZ"))
            .expect("a three-letter tag"),
        entity_type: EntityType::Thing,
        year_month: YearMonth::try_new(2026, 11).expect("valid"),
        trust_level: TrustLevel::L0,
    }
}

/// Two handles on one store (two processes) reserving concurrently never get the same counter,
/// and together they use the space without gaps.
pub async fn concurrent_blocks_never_overlap<S: SequenceStore + Clone + 'static>(
    first: S,
    second: S,
) {
    let space = space("OVL");
    let reserve = |store: S| {
        tokio::spawn(async move {
            let mut counters = Vec::new();
            for _ in 0..40 {
                let block = store
                    .reserve_block(&space, 7, 10_000)
                    .await
                    .expect("room left");
                counters.extend(block.start..block.end);
            }
            counters
        })
    };
    let (a, b) = (reserve(first), reserve(second));
    let mut all = a.await.expect("task");
    all.extend(b.await.expect("task"));
    let distinct: HashSet<u32> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a counter was reserved twice");
    assert_eq!(
        distinct,
        (0..560).collect::<HashSet<u32>>(),
        "gaps in the reservations"
    );
}

/// A full space says so, clearly, and never wraps around.
pub async fn exhaustion_is_refused_without_wrapping<S: SequenceStore>(store: &S) {
    let space = space("EXH");
    let mut blocks = Vec::new();
    for _ in 0..3 {
        let block = store
            .reserve_block(&space, 10, 25)
            .await
            .expect("room left");
        blocks.push((block.start, block.end));
    }
    assert_eq!(blocks, [(0, 10), (10, 20), (20, 25)]);
    for _ in 0..2 {
        match store.reserve_block(&space, 10, 25).await {
            Err(SequenceStoreError::Exhausted { capacity, .. }) => assert_eq!(capacity, 25),
            other => panic!("expected exhaustion, got {other:?}"),
        }
    }
}

/// Only the last block reserved in a space can be given back, and only its unused tail; the
/// usage report then shows what is used.
pub async fn unused_numbers_go_back_only_from_the_last_block<S: SequenceStore>(store: &S) {
    let space = space("REL");
    let first = store
        .reserve_block(&space, 100, 10_000)
        .await
        .expect("room");
    let second = store
        .reserve_block(&space, 100, 10_000)
        .await
        .expect("room");
    assert_eq!((first.start, second.start, second.end), (0, 100, 200));
    assert!(
        !store
            .release_block(&space, 3, first.end)
            .await
            .expect("answered"),
        "another block was reserved after the first: its numbers stay unused"
    );
    assert!(
        store
            .release_block(&space, 105, second.end)
            .await
            .expect("answered"),
        "the last block's tail goes back"
    );
    assert!(
        !store
            .release_block(&space, 105, second.end)
            .await
            .expect("answered"),
        "once"
    );
    let next = store
        .reserve_block(&space, 100, 10_000)
        .await
        .expect("room");
    assert_eq!((next.start, next.end), (105, 205));
    let usage = store.space_usage().await.expect("listed");
    let this = usage
        .iter()
        .find(|u| u.space == space.to_string())
        .expect("the space is listed");
    assert_eq!(this.used, 205);
}

/// A working store answers its ping.
pub async fn a_working_store_answers_its_ping<S: SequenceStore>(store: &S) {
    store.ping().await.expect("the store answers");
}

/// Every handle on a store reads the same permutation key.
pub async fn the_permutation_key_is_shared<S: SequenceStore>(first: &S, second: &S) {
    let a = first.permutation_key().await.expect("key");
    let b = second.permutation_key().await.expect("key");
    assert_eq!(a, b);
    assert_ne!(a, [0; 32]);
}

fn record(id: ChittyId) -> MintRecord {
    MintRecord {
        id,
        entity_name: "PROP".to_owned(),
        name: Some("Conformance Co.".to_owned()),
        metadata: Some(r#"{"source":"conformance"}"#.to_owned()),
        caller: CallerHash::of_token("conformance-token"),
        minted_at_unix_ms: 1_795_000_000_000,
    }
}

/// What is recorded is found as it was recorded; what is not is not.
pub async fn records_are_found_as_recorded<L: MintLedger>(ledger: &L) {
    let space = space("REC");
    let id = space.id(Sequence::try_new(42).expect("valid"));
    let never = space.id(Sequence::try_new(43).expect("valid"));
    ledger
        .record(vec![record(id)], None)
        .await
        .expect("recorded");
    assert_eq!(ledger.find(&id).await.expect("lookup"), Some(record(id)));
    assert_eq!(ledger.find(&never).await.expect("lookup"), None);
}

/// Many concurrent `record` calls all land (group commit loses nothing).
pub async fn concurrent_records_all_land<L: MintLedger + Clone + 'static>(ledger: L) {
    let space = space("GRP");
    let tasks: Vec<_> = (0..200u32)
        .map(|n| {
            let ledger = ledger.clone();
            let id = space.id(Sequence::try_new(n).expect("valid"));
            tokio::spawn(async move { ledger.record(vec![record(id)], None).await.map(|()| id) })
        })
        .collect();
    for task in tasks {
        let id = task.await.expect("task").expect("recorded");
        assert!(
            ledger.find(&id).await.expect("lookup").is_some(),
            "{id} lost"
        );
    }
}

/// Recording an ID twice is refused, and does not take the other records of the call down
/// with it unnoticed: the call fails as a whole.
pub async fn a_duplicate_is_refused<L: MintLedger>(ledger: &L) {
    let space = space("DUP");
    let id = space.id(Sequence::try_new(7).expect("valid"));
    ledger
        .record(vec![record(id)], None)
        .await
        .expect("first time");
    assert!(ledger.record(vec![record(id)], None).await.is_err());
}

fn key(name: &str, taken_at_unix_ms: i64, expires_at_unix_ms: i64) -> MintKey {
    MintKey {
        caller: CallerHash::of_token("conformance-token"),
        key: name.to_owned(),
        request_hash: [7; 32],
        taken_at_unix_ms,
        expires_at_unix_ms,
    }
}

/// A key is kept with its records, in the same transaction; a second mint under the same
/// unexpired key records nothing and says `KeyTaken`; another caller's same key is another key;
/// an expired key is free again.
pub async fn keys_are_kept_with_their_records<L: MintLedger>(ledger: &L) {
    let space = space("KEY");
    let now = 1_795_000_000_000;
    let (first, second, third) = (
        space.id(Sequence::try_new(1).expect("valid")),
        space.id(Sequence::try_new(2).expect("valid")),
        space.id(Sequence::try_new(3).expect("valid")),
    );
    let caller = CallerHash::of_token("conformance-token");
    assert_eq!(
        ledger.find_key(caller, "k-1", now).await.expect("lookup"),
        None
    );
    ledger
        .record(vec![record(first)], Some(key("k-1", now, now + 1_000)))
        .await
        .expect("recorded");
    assert_eq!(
        ledger.find_key(caller, "k-1", now).await.expect("lookup"),
        Some(KeptMint {
            request_hash: [7; 32],
            ids: vec![first]
        })
    );
    assert!(matches!(
        ledger
            .record(
                vec![record(second)],
                Some(key("k-1", now + 999, now + 2_000))
            )
            .await,
        Err(LedgerError::KeyTaken)
    ));
    assert_eq!(
        ledger.find(&second).await.expect("lookup"),
        None,
        "nothing of a refused key's mint is recorded"
    );
    let other_caller = CallerHash::of_token("another-token");
    assert_eq!(
        ledger
            .find_key(other_caller, "k-1", now)
            .await
            .expect("lookup"),
        None
    );
    // Expired: not found, and free to take.
    assert_eq!(
        ledger
            .find_key(caller, "k-1", now + 1_000)
            .await
            .expect("lookup"),
        None
    );
    ledger
        .record(
            vec![record(third)],
            Some(key("k-1", now + 1_000, now + 5_000)),
        )
        .await
        .expect("an expired key is free");
    assert_eq!(
        ledger
            .find_key(caller, "k-1", now + 2_000)
            .await
            .expect("lookup")
            .map(|kept| kept.ids),
        Some(vec![third])
    );
}

/// Every recorded mint is a leaf of the mint log, numbered from the log's size in the order
/// recorded, its hash that of its leaf; subtrees, checkpoints and the log's key read back as
/// kept. Run on a store of its own (it counts the log from 0).
pub async fn recorded_mints_are_logged_in_order<S: MintLedger + MintLog>(store: &S) {
    use chittyid_domain::log::{NodeId, leaf_hash, mint_leaf};
    let space = space("LOG");
    let ids: Vec<ChittyId> = (0..5)
        .map(|n| space.id(Sequence::try_new(100 + n).expect("valid")))
        .collect();
    let at = |i: usize| MintRecord {
        minted_at_unix_ms: 1_795_000_000_000 + i as i64,
        ..record(ids[i])
    };
    store
        .record(vec![at(0), at(1)], None)
        .await
        .expect("recorded");
    store
        .record(vec![at(2), at(3), at(4)], None)
        .await
        .expect("recorded");
    let expected: Vec<_> = (0..5)
        .map(|i| leaf_hash(&mint_leaf(&ids[i], at(i).minted_at_unix_ms)))
        .collect();
    assert_eq!(store.leaves(0, 100).await.expect("leaves"), expected);
    assert_eq!(store.leaves(3, 1).await.expect("leaves"), expected[3..4]);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(store.index_of(id).await.expect("index"), Some(i as u64));
    }
    let never = space.id(Sequence::try_new(99).expect("valid"));
    assert_eq!(store.index_of(&never).await.expect("index"), None);
    // A refused record appends nothing.
    assert!(store.record(vec![at(1)], None).await.is_err());
    assert_eq!(store.leaves(0, 100).await.expect("leaves").len(), 5);

    let inner = (NodeId { level: 1, index: 0 }, [7u8; 32]);
    let checkpoint = StoredCheckpoint {
        size: 5,
        note: "a note".to_owned(),
        signed_at_unix_ms: 9,
    };
    store
        .integrate(vec![inner], checkpoint.clone())
        .await
        .expect("kept");
    // Again, as another authority would: nothing changes.
    store
        .integrate(vec![(inner.0, [8u8; 32])], checkpoint.clone())
        .await
        .expect("kept");
    let mut nodes = store
        .nodes(&[NodeId::leaf(4), inner.0, NodeId { level: 2, index: 0 }])
        .await
        .expect("nodes");
    nodes.sort();
    assert_eq!(nodes, vec![(NodeId::leaf(4), expected[4]), inner]);
    assert_eq!(
        store.latest_checkpoint().await.expect("read"),
        Some(checkpoint.clone())
    );
    assert_eq!(
        store.checkpoint(5).await.expect("read"),
        Some(checkpoint.clone())
    );
    assert_eq!(store.checkpoint(4).await.expect("read"), None);
    assert_eq!(
        store.checkpoints(0, 10).await.expect("read"),
        vec![checkpoint]
    );
    assert_eq!(store.checkpoints(5, 10).await.expect("read"), vec![]);

    let logged = store.logged_mints(1, 2).await.expect("read");
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[0].index, 1);
    assert_eq!(logged[0].leaf_hash, expected[1]);
    assert_eq!(
        logged[0].ledger,
        Some(LedgerEntry {
            chitty_id: ids[1].as_str().to_owned(),
            entity_type: "T".to_owned(),
            minted_at_unix_ms: at(1).minted_at_unix_ms,
        })
    );
    assert_eq!(
        store.unlogged_mints(10).await.expect("read"),
        Vec::<String>::new()
    );

    assert_eq!(
        store.claim_key("first+key").await.expect("claimed"),
        "first+key"
    );
    assert_eq!(
        store.claim_key("second+key").await.expect("claimed"),
        "first+key"
    );
}
