//! The embedded store: one SQLite file holds the authority's permutation key, the counters of
//! every sequence space, the record of every minted ID and the gateway's audit log. Several processes may share the
//! file: reservations are single atomic statements under SQLite's write lock.

mod api_keys;
mod keys;
mod ledger;
mod log;
mod store;

pub use chittyid_app::gateway::StoredAuditEvent;
pub use chittyid_storage::WriterStats as StoreStats;
pub use store::{Durability, SqliteStore};
