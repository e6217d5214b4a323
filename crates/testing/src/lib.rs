//! Test support for code built on chittyid's ports, shared by the app's and the HTTP edge's
//! tests (the integration tests run real processes and real servers instead):
//!
//! - [`ScriptedAuthority`]: mints in one sequence space, fails as scripted or while down, and
//!   says it minted exactly what it minted.
//! - [`RecordingAudit`]: an audit sink that keeps every event for the test to read.
//! - [`in_memory`]: a gateway's ports, all in memory, on a [`ManualClock`] the test moves.

mod audit;
mod authority;

use std::sync::Arc;

use chittyid_app::gateway::{
    GatewayConfig, GatewayDeps, InMemoryKeys, InProcessCache, InProcessRateLimits, ManualClock,
};

pub use audit::RecordingAudit;
pub use authority::ScriptedAuthority;

/// A gateway's ports in memory, and the handles a test reads and drives them by.
#[derive(Debug)]
pub struct InMemory {
    pub deps: GatewayDeps,
    pub authority: ScriptedAuthority,
    pub audit: RecordingAudit,
    pub clock: Arc<ManualClock>,
}

/// Callers the in-process rate limit tracks at once in [`in_memory`].
pub const RATE_LIMITED_CALLERS: usize = 100;

/// The ports of a gateway configured by `config`, in memory, on a manual clock starting at
/// `unix_ms`: a scripted authority, the in-process cache and rate limits on that clock, a
/// recording audit sink and in-memory idempotency keys.
pub fn in_memory(config: &GatewayConfig, unix_ms: i64) -> InMemory {
    let clock = Arc::new(ManualClock::starting_at(unix_ms));
    let authority = ScriptedAuthority::default();
    let audit = RecordingAudit::default();
    let deps = GatewayDeps::new(
        authority.clone(),
        InProcessCache::with_clock(config.resilience.cache, Arc::clone(&clock)),
        audit.clone(),
        Arc::clone(&clock) as Arc<dyn chittyid_app::Clock>,
        InMemoryKeys::new(),
        InProcessRateLimits::with_clock(RATE_LIMITED_CALLERS, Arc::clone(&clock)),
    );
    InMemory {
        deps,
        authority,
        audit,
        clock,
    }
}
