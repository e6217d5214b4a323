//! The authority's use cases: mint canonical IDs that are unique across restarts and across
//! every process sharing a store, record each one durably before answering, and say whether an
//! ID was minted here.

#[cfg(feature = "conformance")]
pub mod conformance;
mod log;
mod ports;
mod request;
mod service;

pub use crate::clock::{Clock, SystemClock};
pub use log::{
    DynMintLog, InclusionProof, KEPT_FROM_LEVEL, LedgerEntry, LogAudit, LogError, LogProblem,
    LogProofError, LogService, LoggedMint, MintLog, StoredCheckpoint, verify_log,
};
pub use ports::{
    CallerHash, CounterBlock, DynMintLedger, DynSequenceStore, KeptMint, LedgerError, MintKey,
    MintLedger, MintRecord, SequenceStore, SequenceStoreError, SpaceUsage, to_hex,
};
pub use request::{MAX_METADATA_BYTES, MAX_NAME_CHARS, Metadata, MetadataError, MintRequest};
pub use service::{
    AuthorityConfig, AuthorityDeps, AuthorityService, BLOCK_FAST, BLOCK_SLOW, IDEMPOTENCY_KEY_TTL,
    MintError, Minted, Verdict, request_hash,
};
