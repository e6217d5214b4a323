//! What the authority needs from the outside world, as traits that adapters implement.

use std::future::Future;

use chittyid_domain::{ChittyId, SequenceSpace};
use sha2::{Digest, Sha256};

/// A run of counters `start..end` of one space, reserved for one process and never handed to
/// another. A process that dies loses what it did not use; nobody reuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterBlock {
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum SequenceStoreError {
    /// Every counter below the capacity has been reserved.
    #[error("sequence space {space} is full: all {capacity} of its sequence numbers are taken")]
    Exhausted { space: String, capacity: u32 },
    /// The store is known to be down: refused without trying.
    #[error("the sequence store is unavailable; retry in {} ms", retry_after.as_millis())]
    Unavailable { retry_after: std::time::Duration },
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Where sequence counters are reserved. Implementations must make `reserve_block` atomic
/// across every process sharing the store.
#[dynosaur::dynosaur(pub DynSequenceStore = dyn(box) SequenceStore)]
#[allow(
    unreachable_pub,
    reason = "re-exported from `authority`; the lint misreads the trait dynosaur re-emits"
)]
pub trait SequenceStore: Send + Sync {
    /// Reserves the next `count` counters of `space` (fewer when fewer remain below
    /// `capacity`); `Exhausted` when none remain.
    fn reserve_block(
        &self,
        space: &SequenceSpace,
        count: u32,
        capacity: u32,
    ) -> impl Future<Output = Result<CounterBlock, SequenceStoreError>> + Send;

    /// A cheap check that the store answers, for health endpoints.
    fn ping(&self) -> impl Future<Output = Result<(), SequenceStoreError>> + Send;

    /// Gives the counters `[from, end)` of `space` back, where `end` is the end of the last
    /// block reserved in it and nobody reserved after it: a graceful stop returns the numbers
    /// it never handed out. True when given back; false when another process reserved since
    /// (those numbers stay unused) or the store cannot give back.
    fn release_block(
        &self,
        space: &SequenceSpace,
        from: u32,
        end: u32,
    ) -> impl Future<Output = Result<bool, SequenceStoreError>> + Send {
        let _ = (space, from, end);
        async { Ok(false) }
    }

    /// Each space's counters used so far (reserved, minted or not), fullest first.
    fn space_usage(
        &self,
    ) -> impl Future<Output = Result<Vec<SpaceUsage>, SequenceStoreError>> + Send {
        async { Ok(Vec::new()) }
    }

    /// The secret of the sequence permutation: created once per store, shared by every process
    /// using it (they must agree on it, or their IDs could collide).
    fn permutation_key(&self) -> impl Future<Output = Result<[u8; 32], SequenceStoreError>> + Send;
}

/// How much of one sequence space is used: its key (`VV-G-LLL-T-YYMM-L`, as the store keeps
/// it) and its next counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceUsage {
    pub space: String,
    pub used: u32,
}

/// Lower-case hex of `bytes`: how hashes and keys are written in records.
pub fn to_hex(bytes: &[u8]) -> String {
    // Hand-written: a `format!` per byte cost an allocation each on every mint's row.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

/// SHA-256 of a caller's bearer token: what records keep instead of the token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallerHash(pub [u8; 32]);

impl CallerHash {
    pub fn of_token(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// Another caller hash derived from this one for `purpose`: the same caller's allowance of
    /// something else (validations beside generates) in a rate-limit store keyed by caller.
    #[must_use]
    pub fn scoped(&self, purpose: &str) -> Self {
        self.masked(&Self::of_token(purpose).0)
    }

    /// This hash XORed with `mask`: [`CallerHash::scoped`] with the purpose's digest computed
    /// once, so that the validate path hashes nothing per request (measured: no difference
    /// beyond this machine's noise; the budget's cost is its lock, see BENCHMARKS.md). A SHA-256
    /// output XORed with another fixed one meets a real caller's hash no more often than two
    /// SHA-256 outputs collide.
    #[must_use]
    pub fn masked(&self, mask: &[u8; 32]) -> Self {
        let mut out = self.0;
        for (byte, m) in out.iter_mut().zip(mask) {
            *byte ^= m;
        }
        Self(out)
    }

    /// Reads a hash written by [`CallerHash::to_hex`] (64 hex digits, surrounding white space
    /// ignored).
    pub fn from_hex(hex: &str) -> Option<Self> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut hash = [0u8; 32];
        for (i, byte) in hash.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_garbage() {
        let hash = CallerHash::of_token("key");
        assert_eq!(CallerHash::from_hex(&hash.to_hex()), Some(hash));
        assert_eq!(
            CallerHash::from_hex(&format!(" {} ", hash.to_hex())),
            Some(hash)
        );
        assert_eq!(CallerHash::from_hex("abc"), None);
        assert_eq!(CallerHash::from_hex(&"g".repeat(64)), None);
        assert_eq!(CallerHash::from_hex(&"é".repeat(32)), None);
    }
}

impl std::fmt::Debug for CallerHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CallerHash({}…)", &self.to_hex()[..12])
    }
}

/// One minted ID and what it was minted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintRecord {
    pub id: ChittyId,
    /// The entity name as the caller spelled it.
    pub entity_name: String,
    /// The name the caller gave the entity, if any.
    pub name: Option<String>,
    /// The caller's metadata, as JSON text.
    pub metadata: Option<String>,
    pub caller: CallerHash,
    pub minted_at_unix_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the ID {0} is recorded already")]
    Duplicate(ChittyId),
    /// Another mint holds this caller's idempotency key (and it has not expired).
    #[error("this idempotency key is taken")]
    KeyTaken,
    /// The store is known to be down: refused without trying.
    #[error("the mint ledger is unavailable; retry in {} ms", retry_after.as_millis())]
    Unavailable { retry_after: std::time::Duration },
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// A caller's idempotency key on a mint, kept with the minted records: a repeat of the key
/// gets the same IDs until `expires_at_unix_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintKey {
    pub caller: CallerHash,
    /// The key as the caller sent it (1 to 255 visible ASCII characters).
    pub key: String,
    /// SHA-256 of the request, so that the key is not reused for another one.
    pub request_hash: [u8; 32],
    /// When this mint took the key: a key held by a mint that expired by then is free.
    pub taken_at_unix_ms: i64,
    pub expires_at_unix_ms: i64,
}

/// What a key holds: the request it was first used for, and the IDs minted for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptMint {
    pub request_hash: [u8; 32],
    pub ids: Vec<ChittyId>,
}

/// The record of every minted ID.
#[dynosaur::dynosaur(pub DynMintLedger = dyn(box) MintLedger)]
#[allow(
    unreachable_pub,
    reason = "re-exported from `authority`; the lint misreads the trait dynosaur re-emits"
)]
pub trait MintLedger: Send + Sync {
    /// Records `records` durably, with `key` if given, in one transaction: `Ok` only once they
    /// survive a crash. `KeyTaken` (and nothing recorded) if the key is held by an unexpired
    /// mint. Concurrent calls may share one transaction.
    fn record(
        &self,
        records: Vec<MintRecord>,
        key: Option<MintKey>,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;

    fn find(
        &self,
        id: &ChittyId,
    ) -> impl Future<Output = Result<Option<MintRecord>, LedgerError>> + Send;

    /// The mint a caller's key holds, unless there is none or it expired by `now_unix_ms`.
    fn find_key(
        &self,
        caller: CallerHash,
        key: &str,
        now_unix_ms: i64,
    ) -> impl Future<Output = Result<Option<KeptMint>, LedgerError>> + Send;
}
