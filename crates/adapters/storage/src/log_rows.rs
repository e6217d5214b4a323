//! The mint log's rows as both SQL adapters read them back: the same columns, decoded once.

use chittyid_app::authority::{LedgerEntry, LoggedMint, StoredCheckpoint};
use chittyid_domain::log::Hash;

/// A stored 32-byte hash.
pub fn hash_of(bytes: &[u8]) -> anyhow::Result<Hash> {
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("a stored hash of {} bytes", bytes.len()))
}

/// A stored leaf index or tree size.
pub fn log_index(value: i64) -> anyhow::Result<u64> {
    u64::try_from(value).map_err(|_| anyhow::anyhow!("a negative log index {value}"))
}

/// A `log_checkpoints` row: size, note, signed_at_unix_ms.
pub fn stored_checkpoint(
    size: i64,
    note: String,
    signed_at_unix_ms: i64,
) -> anyhow::Result<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        size: log_index(size)?,
        note,
        signed_at_unix_ms,
    })
}

/// A leaf beside the ledger row that claims it (its columns NULL when none does).
pub fn logged_mint(
    idx: i64,
    hash: &[u8],
    chitty_id: Option<String>,
    entity_type: Option<String>,
    minted_at_unix_ms: Option<i64>,
) -> anyhow::Result<LoggedMint> {
    Ok(LoggedMint {
        index: log_index(idx)?,
        leaf_hash: hash_of(hash)?,
        ledger: chitty_id.zip(entity_type).zip(minted_at_unix_ms).map(
            |((chitty_id, entity_type), minted_at_unix_ms)| LedgerEntry {
                chitty_id,
                entity_type,
                minted_at_unix_ms,
            },
        ),
    })
}
