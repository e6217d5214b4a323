//! The shared store: PostgreSQL holds the authority's permutation key, sequence counters, minted
//! IDs and mint keys, and the gateway's audit log and idempotency keys, so that several
//! authority and gateway processes share them. Block reservations are one atomic statement;
//! mints and audit events are committed in groups (one transaction for many concurrent
//! requests), each answered only once its transaction commits.

mod api_keys;
mod keys;
mod ledger;
mod log;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use chittyid_app::gateway::StoredAuditEvent;
pub use store::{PgStore, PoolSettings};
