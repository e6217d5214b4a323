//! Idempotency keys: a generate request repeated with the same `Idempotency-Key` and the same
//! body within the TTL gets the same IDs; with another body, a conflict. A repeat that arrives
//! while the first is still being served waits for it; a key whose first request ended without
//! knowing whether the authority minted is never answered by minting a second ID.
//!
//! The store is a port: the embedded default keeps keys in the SQLite file (durable across
//! restarts); [`InMemoryKeys`] keeps them in this process.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::generated::GeneratedId;
use crate::authority::{CallerHash, to_hex};
use crate::sync::lock;

/// The longest key accepted, in bytes.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;

/// A caller's key and the fingerprint of the request body it was sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    key: String,
    fingerprint: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyKeyError {
    #[error("the Idempotency-Key header is empty")]
    Empty,
    #[error("the Idempotency-Key header is over {MAX_IDEMPOTENCY_KEY_BYTES} bytes")]
    TooLong,
    #[error("the Idempotency-Key header must be visible ASCII")]
    NotVisibleAscii,
}

impl IdempotencyKey {
    /// The key for these mint requests: fingerprinted by what they ask for, as the authority
    /// fingerprints them ([`crate::authority::request_hash`]), so that the same request sent
    /// with other spacing, field order or field names (`entityType` for `entity`) is the same
    /// request, and a changed one is recognised.
    pub fn for_requests(
        key: &str,
        requests: &[crate::authority::MintRequest],
    ) -> Result<Self, IdempotencyKeyError> {
        Self::with_fingerprint(key, crate::authority::request_hash(requests))
    }

    /// The key for a request fingerprinted by its raw bytes.
    pub fn try_new(key: &str, body: &[u8]) -> Result<Self, IdempotencyKeyError> {
        Self::with_fingerprint(key, Sha256::digest(body).into())
    }

    fn with_fingerprint(key: &str, fingerprint: [u8; 32]) -> Result<Self, IdempotencyKeyError> {
        if key.is_empty() {
            return Err(IdempotencyKeyError::Empty);
        }
        if key.len() > MAX_IDEMPOTENCY_KEY_BYTES {
            return Err(IdempotencyKeyError::TooLong);
        }
        if !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(IdempotencyKeyError::NotVisibleAscii);
        }
        Ok(Self {
            key: key.to_owned(),
            fingerprint,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// SHA-256 of what the request asks for (or of its body, for [`IdempotencyKey::try_new`]).
    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }
}

/// The key the gateway sends the authority with a mint. Every attempt of one request sends the
/// same; for a client's key it is derived from the API key's hash and the client's key, so a
/// later request with that key (after a restart, on another gateway) sends the same again and
/// an authority that honours keys answers with what it minted the first time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamKey(String);

impl UpstreamKey {
    pub fn for_client(caller: CallerHash, key: &IdempotencyKey) -> Self {
        let mut hash = Sha256::new();
        hash.update(caller.0);
        hash.update(key.as_str().as_bytes());
        Self(format!("gw-{}", to_hex(&hash.finalize()[..16])))
    }

    /// A key for a request that came without one, used by its attempts only: a prefix drawn at
    /// random once per process, then a counter. A key only has to be unique among the caller's
    /// keys the authority holds; two processes draw the same 64-bit prefix with probability
    /// 2^-64. Drawing 16 random bytes per request was a system call per generate (measured in
    /// BENCHMARKS.md).
    pub fn fresh() -> Self {
        static PREFIX: OnceLock<[u8; 8]> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(PREFIX.get_or_init(process_prefix));
        bytes[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
        Self(format!("gw-{}", to_hex(&bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// This process's prefix for fresh upstream keys. No entropy is a broken machine; then the time
/// and the process ID, still unique among this machine's processes.
fn process_prefix() -> [u8; 8] {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let digest = Sha256::digest(format!("{now}/{}", std::process::id()));
        bytes.copy_from_slice(&digest[..8]);
    }
    bytes
}

/// What a request carrying a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is this request's: serve it, then `complete`, `release` or `mark_unknown`.
    Proceed,
    /// Served before: the same IDs again.
    Replay(Vec<GeneratedId>),
    /// The key was used with another body.
    Mismatch,
    /// Another request holds the key now; ask again shortly.
    InFlight,
    /// An earlier request with this key ended without knowing whether the authority minted
    /// (a timeout, a broken connection, a gateway that died mid-request).
    OutcomeUnknown,
}

/// How a key is claimed: its lifetime, and how an unknown outcome is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimTerms {
    pub now_unix_ms: i64,
    /// How long a key is honoured from its first claim.
    pub ttl: Duration,
    /// A claim in flight longer than this belongs to a request that died: its outcome is
    /// unknown.
    pub lease: Duration,
    /// Claim a key whose outcome is unknown again (`Proceed`): the authority honours mint keys,
    /// so asking it again with the same upstream key cannot mint twice.
    pub take_over_unknown: bool,
}

impl ClaimTerms {
    /// When a key claimed on these terms expires.
    pub fn expires_at_unix_ms(&self) -> i64 {
        self.now_unix_ms.saturating_add(millis(self.ttl))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error("the idempotency store is unavailable")]
    Unavailable,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Where keys and their answers are kept. Work per call is O(1) or O(log n) in the keys held;
/// expiry is by time, through `sweep`, never by evicting keys that are still young.
#[dynosaur::dynosaur(pub DynIdempotencyStore = dyn(box) IdempotencyStore)]
#[allow(
    unreachable_pub,
    reason = "re-exported from `gateway`; the lint misreads the trait dynosaur re-emits"
)]
pub trait IdempotencyStore: Send + Sync {
    fn claim(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        terms: ClaimTerms,
    ) -> impl Future<Output = Result<Claim, IdempotencyError>> + Send;

    /// The request holding the key finished: keep its IDs for replays.
    fn complete(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        ids: &[GeneratedId],
    ) -> impl Future<Output = Result<(), IdempotencyError>> + Send;

    /// The request holding the key certainly minted nothing: forget the claim.
    fn release(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
    ) -> impl Future<Output = Result<(), IdempotencyError>> + Send;

    /// The request holding the key ended without knowing whether anything was minted.
    fn mark_unknown(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
    ) -> impl Future<Output = Result<(), IdempotencyError>> + Send;

    /// Drops at most `limit` keys expired by `now_unix_ms`; returns how many.
    fn sweep(
        &self,
        now_unix_ms: i64,
        limit: u32,
    ) -> impl Future<Output = Result<u64, IdempotencyError>> + Send;
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredId {
    id: String,
    entity: String,
}

/// A kept answer as stores keep it: a JSON array of `{"id", "entity"}`.
pub fn answer_to_json(ids: &[GeneratedId]) -> String {
    let stored: Vec<StoredId> = ids
        .iter()
        .map(|g| StoredId {
            id: g.id.to_string(),
            entity: g.entity.clone(),
        })
        .collect();
    serde_json::to_string(&stored).expect("strings always serialise")
}

/// Reads a kept answer written by [`answer_to_json`].
pub fn answer_from_json(text: &str) -> anyhow::Result<Vec<GeneratedId>> {
    use anyhow::Context;
    let stored: Vec<StoredId> =
        serde_json::from_str(text).context("decoding an idempotent answer")?;
    stored
        .into_iter()
        .map(|s| {
            Ok(GeneratedId {
                id: chittyid_domain::ChittyId::parse(&s.id)
                    .with_context(|| format!("a stored ID {:?}", s.id))?,
                entity: s.entity,
            })
        })
        .collect()
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InFlight,
    Done,
    Unknown,
}

#[derive(Debug)]
struct Entry {
    fingerprint: [u8; 32],
    state: State,
    answer: Vec<GeneratedId>,
    claimed_at_unix_ms: i64,
    expires_at_unix_ms: i64,
}

/// Decides a claim on an existing entry; the one rule both adapters follow.
pub fn decide(
    fingerprint: &[u8; 32],
    stored_fingerprint: &[u8; 32],
    in_flight_since: Option<i64>,
    unknown: bool,
    terms: ClaimTerms,
) -> Decision {
    if fingerprint != stored_fingerprint {
        return Decision::Answer(Claim::Mismatch);
    }
    let lapsed = in_flight_since
        .is_some_and(|at| terms.now_unix_ms.saturating_sub(at) >= millis(terms.lease));
    match (in_flight_since, unknown || lapsed) {
        (_, true) if terms.take_over_unknown => Decision::TakeOver,
        (_, true) => Decision::Answer(Claim::OutcomeUnknown),
        (Some(_), false) => Decision::Answer(Claim::InFlight),
        (None, false) => Decision::Replay,
    }
}

/// What to do with a claim on a key that is held and unexpired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Answer(Claim),
    /// Done: answer with the stored IDs.
    Replay,
    /// Claim it again for this request.
    TakeOver,
}

/// Keys in this process: a map and a queue in expiry order (the TTL is one for all, so the
/// order of claims is the order of expiry), O(1) per request and amortised O(1) to sweep.
/// Gone on restart: for a gateway that must keep its promise across restarts, use a durable
/// store.
#[derive(Debug, Default)]
pub struct InMemoryKeys {
    inner: Mutex<Keys>,
}

#[derive(Debug, Default)]
struct Keys {
    entries: HashMap<(CallerHash, String), Entry>,
    expiry: VecDeque<(i64, (CallerHash, String))>,
}

impl InMemoryKeys {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        lock(&self.inner).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn update(&self, caller: CallerHash, key: &IdempotencyKey, change: impl FnOnce(&mut Entry)) {
        let mut keys = lock(&self.inner);
        if let Some(entry) = keys.entries.get_mut(&(caller, key.key.clone()))
            && entry.state == State::InFlight
        {
            change(entry);
        }
    }
}

impl IdempotencyStore for InMemoryKeys {
    async fn claim(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        terms: ClaimTerms,
    ) -> Result<Claim, IdempotencyError> {
        let mut keys = lock(&self.inner);
        let id = (caller, key.key.clone());
        let fresh = |now: i64| Entry {
            fingerprint: key.fingerprint,
            state: State::InFlight,
            answer: Vec::new(),
            claimed_at_unix_ms: now,
            expires_at_unix_ms: terms.expires_at_unix_ms(),
        };
        match keys.entries.get_mut(&id) {
            Some(entry) if entry.expires_at_unix_ms > terms.now_unix_ms => {
                let in_flight =
                    (entry.state == State::InFlight).then_some(entry.claimed_at_unix_ms);
                match decide(
                    &key.fingerprint,
                    &entry.fingerprint,
                    in_flight,
                    entry.state == State::Unknown,
                    terms,
                ) {
                    Decision::Answer(claim) => Ok(claim),
                    Decision::Replay => Ok(Claim::Replay(entry.answer.clone())),
                    Decision::TakeOver => {
                        entry.state = State::InFlight;
                        entry.claimed_at_unix_ms = terms.now_unix_ms;
                        Ok(Claim::Proceed)
                    }
                }
            }
            _ => {
                let entry = fresh(terms.now_unix_ms);
                keys.expiry
                    .push_back((entry.expires_at_unix_ms, id.clone()));
                keys.entries.insert(id, entry);
                Ok(Claim::Proceed)
            }
        }
    }

    async fn complete(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        ids: &[GeneratedId],
    ) -> Result<(), IdempotencyError> {
        self.update(caller, key, |entry| {
            entry.state = State::Done;
            entry.answer = ids.to_vec();
        });
        Ok(())
    }

    async fn release(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
    ) -> Result<(), IdempotencyError> {
        let mut keys = lock(&self.inner);
        let id = (caller, key.key.clone());
        if keys
            .entries
            .get(&id)
            .is_some_and(|entry| entry.state == State::InFlight)
        {
            keys.entries.remove(&id);
        }
        Ok(())
    }

    async fn mark_unknown(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
    ) -> Result<(), IdempotencyError> {
        self.update(caller, key, |entry| entry.state = State::Unknown);
        Ok(())
    }

    async fn sweep(&self, now_unix_ms: i64, limit: u32) -> Result<u64, IdempotencyError> {
        let mut keys = lock(&self.inner);
        let mut dropped = 0;
        while dropped < u64::from(limit) {
            match keys.expiry.front() {
                Some((expires_at, _)) if *expires_at <= now_unix_ms => {}
                _ => break,
            }
            let Some((expires_at, id)) = keys.expiry.pop_front() else {
                break;
            };
            // A key claimed again after it expired has a later entry in the queue.
            if keys
                .entries
                .get(&id)
                .is_some_and(|entry| entry.expires_at_unix_ms == expires_at)
            {
                keys.entries.remove(&id);
                dropped += 1;
            }
        }
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::conformance;

    #[tokio::test]
    async fn in_memory_keys_pass_the_conformance_checks() {
        conformance::same_key_and_body_replays_other_body_conflicts(&InMemoryKeys::new()).await;
        conformance::a_released_key_is_free_and_an_unknown_one_is_never_reminted(
            &InMemoryKeys::new(),
        )
        .await;
        conformance::a_claim_past_its_lease_has_an_unknown_outcome(&InMemoryKeys::new()).await;
        let store = InMemoryKeys::new();
        conformance::keys_live_their_whole_ttl_and_sweeping_drops_only_expired_ones(&store).await;
        assert_eq!(store.len(), 101, "100 kept, and k0 claimed again");
    }

    #[test]
    fn upstream_keys_derive_from_the_caller_and_the_clients_key() {
        let key = IdempotencyKey::try_new("intent", b"{}").expect("valid");
        let a = CallerHash::of_token("a");
        assert_eq!(
            UpstreamKey::for_client(a, &key),
            UpstreamKey::for_client(a, &key)
        );
        assert_ne!(
            UpstreamKey::for_client(a, &key),
            UpstreamKey::for_client(CallerHash::of_token("b"), &key)
        );
        assert_ne!(UpstreamKey::fresh(), UpstreamKey::fresh());
        assert!(IdempotencyKey::try_new("tab\there", b"{}").is_err());
    }
}
