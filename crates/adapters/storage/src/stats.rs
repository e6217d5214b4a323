//! What the writer did: to show what a mint costs, and what was lost.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Counters of one writer. Written by the writer task, read by health and metrics.
#[derive(Debug, Default)]
pub struct WriterStats {
    transactions: AtomicU64,
    records: AtomicU64,
    audit_events: AtomicU64,
    audit_dropped: AtomicU64,
    blocks: AtomicU64,
    commit_failed: AtomicBool,
}

impl WriterStats {
    /// Group commits made.
    pub fn transactions(&self) -> u64 {
        self.transactions.load(Ordering::Relaxed)
    }

    /// Minted IDs recorded.
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }

    /// Audit events committed.
    pub fn audit_events(&self) -> u64 {
        self.audit_events.load(Ordering::Relaxed)
    }

    /// Audit events whose answer did not wait for them (refusals, validation inputs) and that
    /// were never stored: the queue was full, the store was down, or their commit failed.
    pub fn audit_dropped(&self) -> u64 {
        self.audit_dropped.load(Ordering::Relaxed)
    }

    /// Sequence blocks reserved (each one write).
    pub fn blocks(&self) -> u64 {
        self.blocks.load(Ordering::Relaxed)
    }

    /// Whether the last commit failed (none has succeeded since).
    pub fn last_commit_failed(&self) -> bool {
        self.commit_failed.load(Ordering::Relaxed)
    }

    pub fn record_block(&self) {
        self.blocks.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn committed(&self, records: usize, audits: usize) {
        self.transactions.fetch_add(1, Ordering::Relaxed);
        self.records.fetch_add(records as u64, Ordering::Relaxed);
        self.audit_events
            .fetch_add(audits as u64, Ordering::Relaxed);
        self.commit_failed.store(false, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.commit_failed.store(true, Ordering::Relaxed);
    }

    pub(crate) fn dropped(&self, events: usize) {
        self.audit_dropped
            .fetch_add(events as u64, Ordering::Relaxed);
    }
}
