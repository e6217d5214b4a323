//! The authority's series: mints by outcome, and the store's writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

use super::collect::{Result, counter, gauges_by};

/// What the store has written since the process started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreWrites {
    pub transactions: u64,
    pub records: u64,
    pub blocks: u64,
}

/// Reads the store's write counts at scrape time.
pub type StoreWritesSource = Box<dyn Fn() -> StoreWrites + Send + Sync>;

/// Counted by the handlers.
#[derive(Debug, Default)]
pub struct MintCounters {
    pub minted: AtomicU64,
    pub refused: AtomicU64,
    pub failed: AtomicU64,
    /// Whether the store committed its health probe at the last scrape.
    pub store_up: AtomicBool,
    /// This month's fullest sequence spaces at the last scrape, with the share used.
    pub fullest_spaces: std::sync::Mutex<Vec<(String, f64)>>,
}

/// Sequence spaces exported by `chittyid_sequence_space_used_ratio`: the fullest this many.
pub const FULLEST_SPACES_EXPORTED: usize = 5;

pub struct AuthorityCollector {
    pub(crate) mints: Arc<MintCounters>,
    pub(crate) store: StoreWritesSource,
}

impl std::fmt::Debug for AuthorityCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorityCollector")
            .field("mints", &self.mints)
            .finish_non_exhaustive()
    }
}

impl Collector for AuthorityCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        counter(
            &mut encoder,
            "chittyid_authority_mints",
            "IDs minted and recorded.",
            read(&self.mints.minted),
        )?;
        counter(
            &mut encoder,
            "chittyid_authority_mints_refused",
            "Mint requests refused for bad input or auth.",
            read(&self.mints.refused),
        )?;
        counter(
            &mut encoder,
            "chittyid_authority_mints_failed",
            "Mint requests that failed in the authority.",
            read(&self.mints.failed),
        )?;
        gauges_by(
            &mut encoder,
            "chittyid_store_up",
            "1 when the store committed a health probe at this scrape, else 0.",
            "store",
            &[(
                "ledger",
                f64::from(u8::from(self.mints.store_up.load(Ordering::Relaxed))),
            )],
        )?;
        let spaces = self
            .mints
            .fullest_spaces
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let spaces: Vec<(&str, f64)> = spaces.iter().map(|(s, r)| (s.as_str(), *r)).collect();
        gauges_by(
            &mut encoder,
            "chittyid_sequence_space_used_ratio",
            "Share of a sequence space's 10,000 numbers used (reserved, minted or not), for this month's fullest spaces.",
            "space",
            &spaces,
        )?;
        let writes = (self.store)();
        counter(
            &mut encoder,
            "chittyid_authority_store_transactions",
            "Ledger transactions committed.",
            writes.transactions,
        )?;
        counter(
            &mut encoder,
            "chittyid_authority_store_records",
            "Minted IDs recorded.",
            writes.records,
        )?;
        counter(
            &mut encoder,
            "chittyid_authority_sequence_blocks",
            "Sequence blocks reserved.",
            writes.blocks,
        )
    }
}
