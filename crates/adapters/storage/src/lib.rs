//! The storage path both SQL adapters share, written once.
//!
//! - [`GroupWriter`]: one task per process makes every write of the mint ledger, the mint keys
//!   and the audit log. Whatever is queued when it comes round is committed in one transaction
//!   (group commit), so a commit (an fsync) is paid per group, not per request. The rows of a
//!   group are built once ([`GroupRows`]) and handed to the backend: SQLite inserts them with
//!   cached single-row statements, PostgreSQL with one fixed statement over JSON arrays, so
//!   every statement is prepared once whatever the group's size.
//! - [`StoreGuard`]: the domain's circuit breaker in front of the store. Once a write fails,
//!   calls are refused at once until a probe commits again, so a store that went away costs
//!   requests microseconds, not a pool timeout each.
//!
//! A backend ([`Backend`]) supplies only its statements, its begin and commit, and a probe.

mod backend;
mod guard;
pub mod log_rows;
mod rows;
mod stats;
mod writer;

pub use backend::{Backend, BackendError};
pub use guard::{GuardSettings, StoreDown, StoreGuard};
pub use rows::{AuditRow, GroupRows, JsonRows, KeyRow, MintRows, RecordRow};
pub use stats::WriterStats;
pub use writer::{GroupWriter, WriterSettings};
