//! The gateway's shared state on Redis, so that a fleet of gateways behaves as one: the
//! authority's verdicts cached for every gateway (behind each one's in-process cache), and the
//! per-key rate limit counted once for the fleet (GCRA in a Lua script: one round trip, atomic
//! on the server). When Redis does not answer within its bound, each gateway carries on alone:
//! its in-process cache and limiter answer, health says the shared piece is degraded, and the
//! connection comes back by itself.

mod cache;
mod link;
mod rate;

pub use cache::TieredCache;
pub use link::{RedisLink, RedisSettings};
pub use rate::SharedRateLimits;
