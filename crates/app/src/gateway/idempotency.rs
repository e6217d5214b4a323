//! Idempotency keys: a generate request repeated with the same `Idempotency-Key` and the same
//! body within the TTL gets the same IDs; with another body, a conflict. A repeat that arrives
//! while the first is still being served waits for it, so one intent never yields two IDs.

use crate::sync::lock;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chittyid_domain::resilience::Timestamp;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::authority::CallerHash;

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
}

impl IdempotencyKey {
    pub fn try_new(key: &str, body: &[u8]) -> Result<Self, IdempotencyKeyError> {
        if key.is_empty() {
            return Err(IdempotencyKeyError::Empty);
        }
        if key.len() > MAX_IDEMPOTENCY_KEY_BYTES {
            return Err(IdempotencyKeyError::TooLong);
        }
        Ok(Self {
            key: key.to_owned(),
            fingerprint: Sha256::digest(body).into(),
        })
    }
}

enum Entry<T> {
    /// Dropping the sender wakes everyone waiting on this request.
    InFlight {
        fingerprint: [u8; 32],
        _done: watch::Sender<()>,
        waiting: watch::Receiver<()>,
    },
    Done {
        fingerprint: [u8; 32],
        result: T,
        at: Timestamp,
    },
}

/// What to do with a request that carries a key.
pub(super) enum Begin<T> {
    /// First of its kind: serve it, then call `complete` or `abandon`.
    Proceed,
    Replay(T),
    Mismatch,
    /// The same request is being served; wait on this, then ask again.
    Wait(watch::Receiver<()>),
}

/// In-process store of keyed results, bounded in time (TTL) and size.
pub(super) struct IdempotencyStore<T> {
    entries: Mutex<HashMap<(CallerHash, String), Entry<T>>>,
    ttl: Duration,
    capacity: usize,
}

impl<T> std::fmt::Debug for IdempotencyStore<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotencyStore")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<T: Clone> IdempotencyStore<T> {
    pub(super) fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
            capacity: capacity.max(1),
        }
    }

    pub(super) fn begin(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        now: Timestamp,
    ) -> Begin<T> {
        let mut entries = lock(&self.entries);
        let slot = (caller, key.key.clone());
        match entries.get(&slot) {
            Some(Entry::Done {
                fingerprint,
                result,
                at,
            }) if now.saturating_since(*at) < self.ttl => {
                return if *fingerprint == key.fingerprint {
                    Begin::Replay(result.clone())
                } else {
                    Begin::Mismatch
                };
            }
            Some(Entry::InFlight {
                fingerprint,
                waiting,
                ..
            }) => {
                return if *fingerprint == key.fingerprint {
                    Begin::Wait(waiting.clone())
                } else {
                    Begin::Mismatch
                };
            }
            _ => {}
        }
        if entries.len() >= self.capacity {
            self.make_room(&mut entries, now);
        }
        let (done, waiting) = watch::channel(());
        entries.insert(
            slot,
            Entry::InFlight {
                fingerprint: key.fingerprint,
                _done: done,
                waiting,
            },
        );
        Begin::Proceed
    }

    /// Stores the result of a request that `begin` let proceed, and wakes its waiters.
    pub(super) fn complete(
        &self,
        caller: CallerHash,
        key: &IdempotencyKey,
        result: T,
        now: Timestamp,
    ) {
        let mut entries = lock(&self.entries);
        entries.insert(
            (caller, key.key.clone()),
            Entry::Done {
                fingerprint: key.fingerprint,
                result,
                at: now,
            },
        );
    }

    /// Forgets a request that failed, so that a retry with the same key tries again.
    pub(super) fn abandon(&self, caller: CallerHash, key: &IdempotencyKey) {
        let mut entries = lock(&self.entries);
        if matches!(
            entries.get(&(caller, key.key.clone())),
            Some(Entry::InFlight { .. })
        ) {
            entries.remove(&(caller, key.key.clone()));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    fn make_room(&self, entries: &mut HashMap<(CallerHash, String), Entry<T>>, now: Timestamp) {
        entries.retain(|_, entry| match entry {
            Entry::Done { at, .. } => now.saturating_since(*at) < self.ttl,
            Entry::InFlight { .. } => true,
        });
        if entries.len() >= self.capacity {
            let oldest = entries
                .iter()
                .filter_map(|(slot, entry)| match entry {
                    Entry::Done { at, .. } => Some((*at, slot.clone())),
                    Entry::InFlight { .. } => None,
                })
                .min_by_key(|(at, _)| *at)
                .map(|(_, slot)| slot);
            if let Some(slot) = oldest {
                entries.remove(&slot);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> CallerHash {
        CallerHash::of_token("key")
    }

    fn at(secs: u64) -> Timestamp {
        Timestamp::from_secs(secs)
    }

    #[test]
    fn same_key_and_body_replays_other_body_conflicts() {
        let store = IdempotencyStore::new(Duration::from_secs(86_400), 10);
        let key = IdempotencyKey::try_new("k1", b"{\"entity\":\"PEO\"}").expect("valid");
        assert!(matches!(store.begin(caller(), &key, at(0)), Begin::Proceed));
        store.complete(caller(), &key, 7, at(1));
        assert!(matches!(
            store.begin(caller(), &key, at(2)),
            Begin::Replay(7)
        ));
        let other = IdempotencyKey::try_new("k1", b"{\"entity\":\"PROP\"}").expect("valid");
        assert!(matches!(
            store.begin(caller(), &other, at(2)),
            Begin::Mismatch
        ));
        assert!(
            matches!(
                store.begin(CallerHash::of_token("other"), &key, at(2)),
                Begin::Proceed
            ),
            "keys are scoped to their caller"
        );
        assert!(
            matches!(store.begin(caller(), &key, at(86_401)), Begin::Proceed),
            "expired"
        );
    }

    #[test]
    fn a_repeat_in_flight_waits_and_an_abandoned_one_can_be_retried() {
        let store: IdempotencyStore<u8> = IdempotencyStore::new(Duration::from_secs(60), 10);
        let key = IdempotencyKey::try_new("k", b"body").expect("valid");
        assert!(matches!(store.begin(caller(), &key, at(0)), Begin::Proceed));
        let Begin::Wait(waiting) = store.begin(caller(), &key, at(0)) else {
            panic!("expected to wait");
        };
        store.abandon(caller(), &key);
        assert!(waiting.has_changed().is_err(), "the waiter was woken");
        assert!(matches!(store.begin(caller(), &key, at(1)), Begin::Proceed));
    }

    #[test]
    fn keys_are_bounded() {
        assert_eq!(
            IdempotencyKey::try_new("", b""),
            Err(IdempotencyKeyError::Empty)
        );
        assert_eq!(
            IdempotencyKey::try_new(&"k".repeat(256), b""),
            Err(IdempotencyKeyError::TooLong)
        );
        let store = IdempotencyStore::new(Duration::from_secs(60), 2);
        for (i, name) in ["a", "b", "c"].iter().enumerate() {
            let key = IdempotencyKey::try_new(name, b"x").expect("valid");
            assert!(matches!(
                store.begin(caller(), &key, at(i as u64)),
                Begin::Proceed
            ));
            store.complete(caller(), &key, i, at(i as u64));
        }
        assert_eq!(store.len(), 2);
    }
}
