//! Per-key rate limiting (a token bucket per API key): `limit` requests per `per`, with bursts
//! up to `limit`, and the wait until the next one is allowed when refused.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use super::config_error::{self, ConfigError};
use super::time::Timestamp;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Timestamp,
}

/// Token buckets keyed by caller. Memory is bounded: at `max_keys`, buckets that have refilled
/// completely (callers idle for a whole period) are dropped first.
#[derive(Debug, Clone)]
pub struct RateLimiter<K> {
    limit: u32,
    per: Duration,
    max_keys: usize,
    buckets: HashMap<K, Bucket>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn try_new(limit: u32, per: Duration, max_keys: usize) -> Result<Self, ConfigError> {
        config_error::nonzero("rate limit", u64::from(limit))?;
        config_error::nonzero_duration("rate limit period", per)?;
        config_error::nonzero("rate limit max_keys", max_keys as u64)?;
        Ok(Self {
            limit,
            per,
            max_keys,
            buckets: HashMap::new(),
        })
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    pub fn period(&self) -> Duration {
        self.per
    }

    /// Takes `cost` requests from `key`'s allowance, or says how long until it could.
    pub fn try_acquire(&mut self, key: &K, cost: u32, now: Timestamp) -> Result<(), Duration> {
        let capacity = f64::from(self.limit);
        let rate = capacity / self.per.as_secs_f64();
        if !self.buckets.contains_key(key) && self.buckets.len() >= self.max_keys {
            self.forget_idle(now, rate, capacity);
        }
        let bucket = self.buckets.entry(key.clone()).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.updated = bucket.updated.max(now);
        let cost = f64::from(cost);
        if cost > capacity {
            return Err(self.per);
        }
        if bucket.tokens >= cost {
            bucket.tokens -= cost;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((cost - bucket.tokens) / rate))
        }
    }

    fn forget_idle(&mut self, now: Timestamp, rate: f64, capacity: f64) {
        self.buckets.retain(|_, bucket| {
            bucket.tokens + now.saturating_since(bucket.updated).as_secs_f64() * rate < capacity
        });
        if self.buckets.len() >= self.max_keys {
            // Every caller is busy: drop the fullest bucket, the one least likely to be limited.
            if let Some(key) = self
                .buckets
                .iter()
                .max_by(|a, b| a.1.tokens.total_cmp(&b.1.tokens))
                .map(|(key, _)| key.clone())
            {
                self.buckets.remove(&key);
            }
        }
    }

    pub fn tracked_keys(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(limit: u32) -> RateLimiter<&'static str> {
        RateLimiter::try_new(limit, Duration::from_secs(60), 3).expect("valid")
    }

    #[test]
    fn allows_the_limit_then_says_how_long_to_wait() {
        let mut limiter = limiter(100);
        let now = Timestamp::from_secs(10);
        for _ in 0..100 {
            assert_eq!(limiter.try_acquire(&"key", 1, now), Ok(()));
        }
        let wait = limiter
            .try_acquire(&"key", 1, now)
            .expect_err("over the limit");
        assert_eq!(wait, Duration::from_millis(600), "one token every 0.6 s");
        assert_eq!(
            limiter.try_acquire(&"key", 1, now + Duration::from_millis(600)),
            Ok(())
        );
        assert_eq!(
            limiter.try_acquire(&"other", 1, now),
            Ok(()),
            "keys are separate"
        );
    }

    #[test]
    fn a_batch_costs_its_size() {
        let mut limiter = limiter(10);
        assert_eq!(limiter.try_acquire(&"key", 8, Timestamp::ZERO), Ok(()));
        assert!(limiter.try_acquire(&"key", 3, Timestamp::ZERO).is_err());
        assert_eq!(
            limiter.try_acquire(&"key", 11, Timestamp::ZERO),
            Err(Duration::from_secs(60))
        );
    }

    #[test]
    fn memory_stays_bounded() {
        let mut limiter = limiter(10);
        for (i, key) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            let _ = limiter.try_acquire(key, 10, Timestamp::from_secs(i as u64));
        }
        assert!(limiter.tracked_keys() <= 3);
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(RateLimiter::<u8>::try_new(0, Duration::from_secs(1), 1).is_err());
        assert!(RateLimiter::<u8>::try_new(1, Duration::ZERO, 1).is_err());
        assert!(RateLimiter::<u8>::try_new(1, Duration::from_secs(1), 0).is_err());
    }
}
