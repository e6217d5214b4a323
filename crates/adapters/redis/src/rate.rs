//! The per-key rate limit for the whole fleet: GCRA (the domain's `Gcra`, transliterated) in a
//! Lua script that reads the server's clock, so every gateway agrees whatever their clocks say,
//! and decides and stores in one atomic round trip. When Redis does not answer in time, this
//! gateway's own token bucket decides, and health says the limiter is degraded.

use std::time::Duration;

use chittyid_app::authority::CallerHash;
use chittyid_app::gateway::{
    Clock, InProcessRateLimits, RateDecision, RateLimitError, RateLimitStore, SystemClock,
};
use chittyid_domain::resilience::Gcra;

use crate::link::RedisLink;

/// KEYS[1]: the caller's key. ARGV: emission interval (µs), tolerance (µs), cost.
/// Returns {1, 0} when allowed (the new TAT stored, expiring when it passes), {0, wait µs} when
/// not. The arithmetic is `Gcra::decide`'s.
const GCRA_SCRIPT: &str = r"
local emission = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + emission * cost
local allow_at = new_tat - tolerance
if now < allow_at then
  return {0, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
return {1, 0}
";

pub struct SharedRateLimits<C = SystemClock> {
    link: RedisLink,
    script: redis::Script,
    fallback: InProcessRateLimits<C>,
}

impl<C> std::fmt::Debug for SharedRateLimits<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRateLimits")
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

impl SharedRateLimits {
    pub fn new(link: RedisLink, fallback_callers: usize) -> Self {
        Self::with_fallback(link, InProcessRateLimits::new(fallback_callers))
    }
}

impl<C: Clock> SharedRateLimits<C> {
    pub fn with_fallback(link: RedisLink, fallback: InProcessRateLimits<C>) -> Self {
        Self {
            link,
            script: redis::Script::new(GCRA_SCRIPT),
            fallback,
        }
    }

    /// Runs the script for `caller`; the shared decision, or an error when Redis did not answer.
    pub async fn shared_decision(
        &self,
        caller: CallerHash,
        cost: u32,
        limit: u32,
        period: Duration,
    ) -> anyhow::Result<RateDecision> {
        let gcra = Gcra::try_new(limit, period).map_err(|err| anyhow::anyhow!("{err}"))?;
        let key = self.link.key("rate", &caller.to_hex());
        let script = &self.script;
        let (allowed, wait_us): (i64, i64) = self
            .link
            .call(|mut conn| async move {
                script
                    .key(key)
                    .arg(gcra.emission_us())
                    .arg(gcra.tolerance_us())
                    .arg(cost)
                    .invoke_async(&mut conn)
                    .await
            })
            .await?;
        Ok(if allowed == 1 {
            RateDecision::Allowed
        } else {
            RateDecision::Limited {
                retry_after: Duration::from_micros(u64::try_from(wait_us).unwrap_or(0)),
            }
        })
    }
}

impl<C: Clock> RateLimitStore for SharedRateLimits<C> {
    fn shared_available(&self) -> Option<bool> {
        Some(self.link.is_available())
    }

    async fn try_acquire(
        &self,
        caller: CallerHash,
        cost: u32,
        limit: u32,
        period: Duration,
    ) -> Result<RateDecision, RateLimitError> {
        match self.shared_decision(caller, cost, limit, period).await {
            Ok(decision) => Ok(decision),
            Err(err) => {
                tracing::debug!(error = %err, "shared rate limit unavailable; limiting here");
                self.fallback.try_acquire(caller, cost, limit, period).await
            }
        }
    }
}
