//! The validation cache's rules, and an in-process LRU that obeys them. Fixes the v2.2.0 defect:
//! overwriting a key that is already cached never evicts another entry.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use super::config_error::{self, ConfigError};
use super::time::Timestamp;

/// Capacity and lifetimes. A negative answer ("not a valid ID") lives shorter than a positive
/// one, so that an ID minted just after a miss is soon seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    capacity: usize,
    ttl: Duration,
    negative_ttl: Duration,
}

impl CachePolicy {
    pub fn try_new(
        capacity: usize,
        ttl: Duration,
        negative_ttl: Duration,
    ) -> Result<Self, ConfigError> {
        config_error::nonzero("cache capacity", capacity as u64)?;
        config_error::nonzero_duration("cache ttl", ttl)?;
        config_error::nonzero_duration("cache negative_ttl", negative_ttl)?;
        config_error::ordered("cache negative_ttl", negative_ttl, "cache ttl", ttl)?;
        Ok(Self {
            capacity,
            ttl,
            negative_ttl,
        })
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn negative_ttl(&self) -> Duration {
        self.negative_ttl
    }

    /// How long an answer may be served from the cache.
    pub fn ttl_for(&self, positive: bool) -> Duration {
        if positive {
            self.ttl
        } else {
            self.negative_ttl
        }
    }
}

/// The v2.2.0 statistics, plus expirations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub expirations: u64,
    pub sets: u64,
    pub size: usize,
    pub max_size: usize,
    pub ttl_ms: u64,
}

impl CacheStats {
    /// Hits over lookups, 0 to 1.
    pub fn hit_ratio(&self) -> f64 {
        let lookups = self.hits + self.misses;
        if lookups == 0 {
            0.0
        } else {
            self.hits as f64 / lookups as f64
        }
    }

    /// The v2.2.0 display: `"77.15%"`, and `"0%"` before any lookup.
    pub fn hit_rate(&self) -> String {
        if self.hits + self.misses == 0 {
            "0%".to_owned()
        } else {
            format!("{:.2}%", self.hit_ratio() * 100.0)
        }
    }
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheLookup<V> {
    Hit(V),
    Miss,
}

#[derive(Debug, Clone)]
struct Entry<K, V> {
    key: K,
    value: V,
    expires_at: Timestamp,
    newer: Option<usize>,
    older: Option<usize>,
}

/// An LRU map with per-entry expiry, O(1) for every operation, that allocates only when it
/// grows towards its capacity. Entries live in a slab linked newest to oldest.
#[derive(Debug, Clone)]
pub struct ValidationCache<K, V> {
    policy: CachePolicy,
    index: HashMap<K, usize>,
    slab: Vec<Entry<K, V>>,
    newest: Option<usize>,
    oldest: Option<usize>,
    stats: CacheStats,
}

impl<K: Hash + Eq + Clone, V: Clone> ValidationCache<K, V> {
    pub fn new(policy: CachePolicy) -> Self {
        Self {
            policy,
            index: HashMap::new(),
            slab: Vec::new(),
            newest: None,
            oldest: None,
            stats: CacheStats {
                max_size: policy.capacity,
                ttl_ms: u64::try_from(policy.ttl.as_millis()).unwrap_or(u64::MAX),
                ..CacheStats::default()
            },
        }
    }

    pub fn policy(&self) -> &CachePolicy {
        &self.policy
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            size: self.index.len(),
            ..self.stats
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// A fresh entry is a hit and becomes the most recently used; an expired one is removed
    /// and counts as an expiration and a miss.
    pub fn get(&mut self, key: &K, now: Timestamp) -> CacheLookup<V> {
        let Some(&slot) = self.index.get(key) else {
            self.stats.misses += 1;
            return CacheLookup::Miss;
        };
        if self.slab[slot].expires_at <= now {
            self.remove_slot(slot);
            self.stats.expirations += 1;
            self.stats.misses += 1;
            return CacheLookup::Miss;
        }
        self.stats.hits += 1;
        self.unlink(slot);
        self.push_newest(slot);
        CacheLookup::Hit(self.slab[slot].value.clone())
    }

    /// Stores an answer; `positive` picks the TTL. Overwriting a cached key replaces it in
    /// place; only a new key in a full cache evicts, and then the least recently used.
    pub fn insert(&mut self, key: K, value: V, positive: bool, now: Timestamp) {
        self.stats.sets += 1;
        let expires_at = now + self.policy.ttl_for(positive);
        if let Some(&slot) = self.index.get(&key) {
            let entry = &mut self.slab[slot];
            entry.value = value;
            entry.expires_at = expires_at;
            self.unlink(slot);
            self.push_newest(slot);
            return;
        }
        let slot = if self.index.len() >= self.policy.capacity {
            let oldest = self.oldest.expect("a full cache has an oldest entry");
            let evicted = self.slab[oldest].key.clone();
            self.index.remove(&evicted);
            self.unlink(oldest);
            self.stats.evictions += 1;
            self.slab[oldest] = Entry {
                key: key.clone(),
                value,
                expires_at,
                newer: None,
                older: None,
            };
            oldest
        } else {
            self.slab.push(Entry {
                key: key.clone(),
                value,
                expires_at,
                newer: None,
                older: None,
            });
            self.slab.len() - 1
        };
        self.index.insert(key, slot);
        self.push_newest(slot);
    }

    /// Removes every expired entry (the periodic sweep). Returns how many.
    pub fn sweep(&mut self, now: Timestamp) -> usize {
        // Keys, not slots: each removal moves the last slab entry into the freed slot.
        let expired: Vec<K> = self
            .slab
            .iter()
            .filter(|entry| entry.expires_at <= now)
            .map(|entry| entry.key.clone())
            .collect();
        for key in &expired {
            if let Some(&slot) = self.index.get(key) {
                self.remove_slot(slot);
            }
        }
        self.stats.expirations += expired.len() as u64;
        expired.len()
    }

    pub fn clear(&mut self) {
        self.index.clear();
        self.slab.clear();
        self.newest = None;
        self.oldest = None;
    }

    /// Removes the entry in `slot`, moving the last slab entry into its place.
    fn remove_slot(&mut self, slot: usize) {
        self.unlink(slot);
        let removed = self.slab.swap_remove(slot);
        self.index.remove(&removed.key);
        if slot < self.slab.len() {
            // The former last entry now lives at `slot`: repoint its neighbours and the index.
            let moved = self.slab.len();
            let (newer, older) = (self.slab[slot].newer, self.slab[slot].older);
            match newer {
                Some(n) => self.slab[n].older = Some(slot),
                None => self.newest = Some(slot),
            }
            match older {
                Some(o) => self.slab[o].newer = Some(slot),
                None => self.oldest = Some(slot),
            }
            debug_assert_ne!(moved, slot);
            let key = self.slab[slot].key.clone();
            self.index.insert(key, slot);
        }
    }

    fn unlink(&mut self, slot: usize) {
        let (newer, older) = (self.slab[slot].newer, self.slab[slot].older);
        match newer {
            Some(n) => self.slab[n].older = older,
            None => self.newest = older,
        }
        match older {
            Some(o) => self.slab[o].newer = newer,
            None => self.oldest = newer,
        }
        self.slab[slot].newer = None;
        self.slab[slot].older = None;
    }

    fn push_newest(&mut self, slot: usize) {
        self.slab[slot].older = self.newest;
        self.slab[slot].newer = None;
        match self.newest {
            Some(previous) => self.slab[previous].newer = Some(slot),
            None => self.oldest = Some(slot),
        }
        self.newest = Some(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy(capacity: usize) -> CachePolicy {
        CachePolicy::try_new(capacity, Duration::from_secs(300), Duration::from_secs(30))
            .expect("valid")
    }

    fn at(secs: u64) -> Timestamp {
        Timestamp::from_secs(secs)
    }

    #[test]
    fn overwriting_a_key_at_capacity_evicts_nothing() {
        let mut cache = ValidationCache::new(policy(2));
        cache.insert("a", 1, true, at(0));
        cache.insert("b", 2, true, at(0));
        cache.insert("a", 3, true, at(1));
        assert_eq!(cache.stats().evictions, 0);
        assert_eq!(cache.get(&"a", at(2)), CacheLookup::Hit(3));
        assert_eq!(cache.get(&"b", at(2)), CacheLookup::Hit(2));
    }

    #[test]
    fn a_new_key_at_capacity_evicts_the_least_recently_used() {
        let mut cache = ValidationCache::new(policy(2));
        cache.insert("a", 1, true, at(0));
        cache.insert("b", 2, true, at(0));
        assert_eq!(cache.get(&"a", at(1)), CacheLookup::Hit(1));
        cache.insert("c", 3, true, at(2));
        assert_eq!(cache.get(&"b", at(3)), CacheLookup::Miss);
        assert_eq!(cache.get(&"a", at(3)), CacheLookup::Hit(1));
        assert_eq!(cache.get(&"c", at(3)), CacheLookup::Hit(3));
        assert_eq!(cache.stats().evictions, 1);
    }

    #[test]
    fn negative_answers_expire_sooner() {
        let mut cache = ValidationCache::new(policy(10));
        cache.insert("valid", true, true, at(0));
        cache.insert("invalid", false, false, at(0));
        assert_eq!(cache.get(&"invalid", at(29)), CacheLookup::Hit(false));
        assert_eq!(cache.get(&"invalid", at(30)), CacheLookup::Miss);
        assert_eq!(cache.get(&"valid", at(299)), CacheLookup::Hit(true));
        assert_eq!(cache.get(&"valid", at(300)), CacheLookup::Miss);
        let stats = cache.stats();
        assert_eq!(
            (stats.hits, stats.misses, stats.expirations, stats.size),
            (2, 2, 2, 0)
        );
    }

    #[test]
    fn the_sweep_removes_only_expired_entries() {
        let mut cache = ValidationCache::new(policy(10));
        cache.insert(1, (), false, at(0));
        cache.insert(2, (), true, at(0));
        cache.insert(3, (), false, at(20));
        assert_eq!(cache.sweep(at(40)), 1);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&3, at(41)), CacheLookup::Hit(()));
    }

    #[test]
    fn hit_rate_reads_as_v2_2_0_did() {
        let mut cache = ValidationCache::new(policy(10));
        assert_eq!(cache.stats().hit_rate(), "0%");
        cache.insert("a", (), true, at(0));
        for _ in 0..3 {
            cache.get(&"a", at(1));
        }
        cache.get(&"b", at(1));
        assert_eq!(cache.stats().hit_rate(), "75.00%");
        assert_eq!(cache.stats().max_size, 10);
        assert_eq!(cache.stats().ttl_ms, 300_000);
    }

    #[test]
    fn nonsense_is_refused() {
        let s = Duration::from_secs;
        assert!(CachePolicy::try_new(0, s(1), s(1)).is_err());
        assert!(CachePolicy::try_new(1, s(0), s(0)).is_err());
        assert!(CachePolicy::try_new(1, s(1), s(2)).is_err());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, bool),
        Get(u8),
        Sweep,
        Wait(u64),
    }

    proptest! {
        /// The LRU agrees with a naive model: a list ordered by recency.
        #[test]
        fn behaves_like_a_naive_lru(
            capacity in 1usize..6,
            ops in proptest::collection::vec(
                prop_oneof![
                    4 => (0u8..8, any::<bool>()).prop_map(|(k, p)| Op::Insert(k, p)),
                    4 => (0u8..8).prop_map(Op::Get),
                    1 => Just(Op::Sweep),
                    1 => (0u64..40).prop_map(Op::Wait),
                ],
                1..200,
            ),
        ) {
            let mut cache = ValidationCache::new(policy(capacity));
            // Newest first: (key, value, expires_at).
            let mut model: Vec<(u8, u32, u64)> = Vec::new();
            let mut now = 0u64;
            for (step, op) in ops.into_iter().enumerate() {
                let value = step as u32;
                match op {
                    Op::Insert(key, positive) => {
                        cache.insert(key, value, positive, at(now));
                        model.retain(|(k, _, _)| *k != key);
                        if model.len() >= capacity {
                            model.pop();
                        }
                        model.insert(0, (key, value, now + if positive { 300 } else { 30 }));
                    }
                    Op::Get(key) => {
                        let expected = match model.iter().position(|(k, _, _)| *k == key) {
                            Some(i) if model[i].2 > now => {
                                let entry = model.remove(i);
                                model.insert(0, entry);
                                CacheLookup::Hit(entry.1)
                            }
                            Some(i) => {
                                model.remove(i);
                                CacheLookup::Miss
                            }
                            None => CacheLookup::Miss,
                        };
                        prop_assert_eq!(cache.get(&key, at(now)), expected);
                    }
                    Op::Sweep => {
                        cache.sweep(at(now));
                        model.retain(|(_, _, expires)| *expires > now);
                    }
                    Op::Wait(secs) => now += secs,
                }
                prop_assert_eq!(cache.len(), model.len());
            }
        }
    }
}
