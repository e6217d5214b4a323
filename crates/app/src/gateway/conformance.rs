//! Checks every idempotency store must pass, whatever its backend: the in-memory store, SQLite
//! and PostgreSQL run them. Each panics on failure. Callers are scoped by `tag`, so checks can
//! share a store.

use std::time::Duration;

use chittyid_domain::ChittyId;

use super::idempotency::{Claim, ClaimTerms, IdempotencyKey, IdempotencyStore};
use super::service::GeneratedId;
use crate::authority::CallerHash;

fn caller(tag: &str) -> CallerHash {
    CallerHash::of_token(tag)
}

fn terms(now_unix_ms: i64) -> ClaimTerms {
    ClaimTerms {
        now_unix_ms,
        ttl: Duration::from_secs(100),
        lease: Duration::from_secs(10),
        take_over_unknown: false,
    }
}

fn ids() -> Vec<GeneratedId> {
    vec![GeneratedId {
        id: ChittyId::parse("03-1-USA-0001-P-2602-0-85").expect("valid"),
        entity: "PEO".to_owned(),
    }]
}

fn key(name: &str, body: &[u8]) -> IdempotencyKey {
    IdempotencyKey::try_new(name, body).expect("valid")
}

async fn claim(
    store: &impl IdempotencyStore,
    who: CallerHash,
    key: &IdempotencyKey,
    terms: ClaimTerms,
) -> Claim {
    store
        .claim(who, key, terms)
        .await
        .expect("the store answers")
}

/// The same key and body replays; another body conflicts; another caller's key is its own.
pub async fn same_key_and_body_replays_other_body_conflicts(store: &impl IdempotencyStore) {
    let who = caller("replays");
    let first = key("a", b"{}");
    assert_eq!(claim(store, who, &first, terms(0)).await, Claim::Proceed);
    assert_eq!(claim(store, who, &first, terms(1)).await, Claim::InFlight);
    store
        .complete(who, &first, &ids())
        .await
        .expect("completed");
    assert_eq!(
        claim(store, who, &first, terms(2)).await,
        Claim::Replay(ids())
    );
    let other_body = key("a", b"{\"x\":1}");
    assert_eq!(
        claim(store, who, &other_body, terms(3)).await,
        Claim::Mismatch
    );
    assert_eq!(
        claim(store, caller("replays-other"), &other_body, terms(3)).await,
        Claim::Proceed
    );
}

/// A released key is free again; a key whose outcome is unknown is never claimed again, unless
/// the caller may take it over.
pub async fn a_released_key_is_free_and_an_unknown_one_is_never_reminted(
    store: &impl IdempotencyStore,
) {
    let who = caller("unknown");
    let k = key("a", b"{}");
    claim(store, who, &k, terms(0)).await;
    store.release(who, &k).await.expect("released");
    assert_eq!(claim(store, who, &k, terms(1)).await, Claim::Proceed);
    store.mark_unknown(who, &k).await.expect("marked");
    assert_eq!(claim(store, who, &k, terms(2)).await, Claim::OutcomeUnknown);
    let taking_over = ClaimTerms {
        take_over_unknown: true,
        ..terms(3)
    };
    assert_eq!(claim(store, who, &k, taking_over).await, Claim::Proceed);
    assert_eq!(claim(store, who, &k, terms(4)).await, Claim::InFlight);
}

/// A claim in flight past its lease belongs to a request that died: its outcome is unknown.
pub async fn a_claim_past_its_lease_has_an_unknown_outcome(store: &impl IdempotencyStore) {
    let who = caller("lease");
    let k = key("a", b"{}");
    claim(store, who, &k, terms(0)).await;
    assert_eq!(claim(store, who, &k, terms(9_999)).await, Claim::InFlight);
    assert_eq!(
        claim(store, who, &k, terms(10_000)).await,
        Claim::OutcomeUnknown
    );
}

/// Keys live their whole TTL however many are held; sweeping drops only expired ones, and an
/// expired key is free again.
pub async fn keys_live_their_whole_ttl_and_sweeping_drops_only_expired_ones(
    store: &impl IdempotencyStore,
) {
    let who = caller("sweep");
    for n in 0..200 {
        let k = key(&format!("k{n}"), b"{}");
        claim(store, who, &k, terms(n)).await;
        store.complete(who, &k, &ids()).await.expect("completed");
    }
    let first = key("k0", b"{}");
    assert_eq!(
        claim(store, who, &first, terms(99_999)).await,
        Claim::Replay(ids())
    );
    // Expired by 100,099: keys claimed at 0..=99 (TTL 100 s).
    assert_eq!(store.sweep(100_099, 1_000).await.expect("swept"), 100);
    let kept = key("k150", b"{}");
    assert_eq!(
        claim(store, who, &kept, terms(100_100)).await,
        Claim::Replay(ids())
    );
    assert_eq!(
        claim(store, who, &first, terms(100_100)).await,
        Claim::Proceed
    );
}

/// An API key store keeps accounts whole, ends a rotation's overlap for the other secrets of a
/// name only, and revokes every secret of a name.
pub async fn api_keys_are_kept_rotated_and_revoked(store: &impl super::ApiKeyStore) {
    use super::{ApiKeyAccount, Scopes};
    let account = |id: &str, name: &str, rate: Option<u32>, at: i64| ApiKeyAccount {
        id: id.to_owned(),
        name: name.to_owned(),
        secret_hash: CallerHash::of_token(id),
        scopes: Scopes::parse("validate").expect("a scope"),
        rate_per_minute: rate,
        created_at_unix_ms: at,
        expires_at_unix_ms: None,
        revoked_at_unix_ms: None,
    };
    let first = account("key_a", "chat", Some(6_000), 1);
    store.create_key(&first).await.expect("created");
    store
        .create_key(&account("key_b", "other", None, 2))
        .await
        .expect("created");
    assert_eq!(
        store.list_keys().await.expect("listed")[0],
        first,
        "kept whole"
    );
    assert!(
        store
            .create_key(&account("key_c", "copy", None, 3))
            .await
            .is_ok(),
        "another name"
    );
    let mut duplicate = account("key_d", "dup", None, 4);
    duplicate.secret_hash = first.secret_hash;
    assert!(
        store.create_key(&duplicate).await.is_err(),
        "one secret, one key"
    );
    store
        .create_key(&account("key_e", "chat", Some(6_000), 5))
        .await
        .expect("a second secret");
    assert_eq!(
        store
            .expire_other_keys("chat", "key_e", 1_000)
            .await
            .expect("expired"),
        1
    );
    let keys = store.list_keys().await.expect("listed");
    let by_id = |id: &str| keys.iter().find(|k| k.id == id).expect("listed").clone();
    assert_eq!(by_id("key_a").expires_at_unix_ms, Some(1_000));
    assert_eq!(by_id("key_e").expires_at_unix_ms, None);
    assert_eq!(
        by_id("key_b").expires_at_unix_ms,
        None,
        "another name is untouched"
    );
    assert_eq!(store.revoke_key("chat", 2_000).await.expect("revoked"), 2);
    assert_eq!(store.revoke_key("chat", 3_000).await.expect("revoked"), 0);
    let keys = store.list_keys().await.expect("listed");
    assert!(
        keys.iter()
            .filter(|k| k.name == "chat")
            .all(|k| k.revoked_at_unix_ms == Some(2_000))
    );
    assert!(
        keys.iter()
            .any(|k| k.name == "other" && k.is_active(10_000))
    );
}
