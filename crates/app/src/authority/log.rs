//! The verifiable mint log: every minted ID's leaf, appended by the ledger in the mint's own
//! transaction ([`MintLedger::record`](super::MintLedger::record)), integrated into the stored
//! Merkle tree and signed as a checkpoint by [`MintLog`]'s service ([`LogService`]), and
//! proved from the stored subtrees.
//!
//! Integration is deterministic (the tree is a function of the leaves) and every checkpoint is
//! signed with the log's one key, so several authorities sharing a store may integrate at once:
//! they store the same subtrees and the same notes.

use std::sync::Arc;
use std::time::Duration;

use chittyid_domain::ChittyId;
use chittyid_domain::log::{
    Checkpoint, CompactRange, Hash, NodeId, ProofRequestError, SignedNote, SignerKey, VerifierKey,
    consistency_nodes, consistency_proof_from, fill_small_subtrees, frontier_nodes,
    inclusion_nodes, inclusion_proof_from, leaf_hash, mint_leaf, stored_reads, verify_note,
};
use tokio::sync::{Mutex, Notify, watch};

use crate::clock::Clock;

/// A checkpoint as the store keeps it: the size it commits to and the signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    /// The signed note (C2SP `tlog-checkpoint` body and signature lines).
    pub note: String,
    pub signed_at_unix_ms: i64,
}

/// One entry of the log beside the ledger row that claims it, as `verify-log` reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedMint {
    pub index: u64,
    /// The leaf hash the log holds.
    pub leaf_hash: Hash,
    /// The ledger's row whose `log_index` is this leaf's, if one is.
    pub ledger: Option<LedgerEntry>,
}

/// What the ledger says of a mint that the leaf must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub chitty_id: String,
    /// The entity type letter.
    pub entity_type: String,
    pub minted_at_unix_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The store is known to be down: refused without trying.
    #[error("the mint log's store is unavailable")]
    Unavailable,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Where the log's tree and checkpoints are kept. The leaves are appended by the ledger.
#[dynosaur::dynosaur(pub DynMintLog = dyn(box) MintLog)]
#[allow(
    unreachable_pub,
    reason = "re-exported from `authority`; the lint misreads the trait dynosaur re-emits"
)]
pub trait MintLog: Send + Sync {
    /// The hashes of up to `limit` leaves from index `from`, in order.
    fn leaves(
        &self,
        from: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Hash>, LogError>> + Send;

    /// The stored hashes of those of `ids` the store holds (leaves are level 0).
    fn nodes(
        &self,
        ids: &[NodeId],
    ) -> impl Future<Output = Result<Vec<(NodeId, Hash)>, LogError>> + Send;

    /// Keeps the subtrees an integration completed and the checkpoint signed over them, in one
    /// transaction; both may be there already (another authority integrated them).
    fn integrate(
        &self,
        nodes: Vec<(NodeId, Hash)>,
        checkpoint: StoredCheckpoint,
    ) -> impl Future<Output = Result<(), LogError>> + Send;

    /// Records `verifier_key` as the log's key unless one is recorded; returns the recorded one.
    fn claim_key(
        &self,
        verifier_key: &str,
    ) -> impl Future<Output = Result<String, LogError>> + Send;

    /// The checkpoint of the largest size.
    fn latest_checkpoint(
        &self,
    ) -> impl Future<Output = Result<Option<StoredCheckpoint>, LogError>> + Send;

    /// The checkpoint of exactly `size` leaves, if one was signed.
    fn checkpoint(
        &self,
        size: u64,
    ) -> impl Future<Output = Result<Option<StoredCheckpoint>, LogError>> + Send;

    /// Where `id`'s leaf is in the log.
    fn index_of(&self, id: &ChittyId)
    -> impl Future<Output = Result<Option<u64>, LogError>> + Send;

    /// Up to `limit` entries from index `from` with their ledger rows (for `verify-log`).
    fn logged_mints(
        &self,
        from: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<LoggedMint>, LogError>> + Send;

    /// Up to `limit` ledger rows that claim no leaf of the log (no index, or one the log does
    /// not hold).
    fn unlogged_mints(
        &self,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, LogError>> + Send;

    /// Every checkpoint, smallest first, up to `limit` after size `after`.
    fn checkpoints(
        &self,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<StoredCheckpoint>, LogError>> + Send;
}

/// A proof as the endpoints answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    pub index: u64,
    pub tree_size: u64,
    /// The leaf's bytes ([`mint_leaf`]), rebuilt from the ledger and checked against the hash
    /// the log holds.
    pub leaf: Vec<u8>,
    pub hashes: Vec<Hash>,
}

/// Why a proof was not given.
#[derive(Debug, thiserror::Error)]
pub enum LogProofError {
    #[error("{0} is not in the mint log")]
    NotLogged(ChittyId),
    #[error("no checkpoint covers leaf {index} yet (the latest is of {size} leaves)")]
    NotYetCheckpointed { index: u64, size: u64 },
    #[error("the tree of {size} leaves is larger than the latest checkpoint ({latest})")]
    BeyondCheckpoint { size: u64, latest: u64 },
    /// The ledger's row of the ID is gone or no longer gives the leaf the log holds: the
    /// ledger was changed (`chittyid authority verify-log` says where).
    #[error("the ledger's row of {0} does not give its leaf in the mint log")]
    LedgerChanged(ChittyId),
    #[error(transparent)]
    Request(#[from] ProofRequestError),
    #[error(transparent)]
    Store(#[from] LogError),
}

/// How long a proof asked without a size waits for the checkpoint that holds a new leaf.
const RECEIPT_WAIT: Duration = Duration::from_secs(2);

/// The smallest subtrees the store keeps: 16 leaves. A proof reads the leaves of smaller ones
/// (15 at most) instead, so integrating writes a row per 16 mints rather than one per mint.
pub const KEPT_FROM_LEVEL: u8 = 4;

/// Leaves read per store round trip while integrating.
const INTEGRATE_BATCH: u32 = 10_000;

/// Integrates, signs and proves. One per authority process.
pub struct LogService {
    log: Box<DynMintLog<'static>>,
    signer: SignerKey,
    clock: Arc<dyn Clock>,
    /// The tree as integrated by this process; `None` until first read from the store.
    range: Mutex<Option<CompactRange>>,
    latest: watch::Sender<Option<Arc<StoredCheckpoint>>>,
    /// Wakes the checkpointer early (a caller waits for a receipt).
    wanted: Notify,
}

impl std::fmt::Debug for LogService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogService")
            .field("origin", &self.signer.name())
            .finish_non_exhaustive()
    }
}

impl LogService {
    pub fn new(log: Box<DynMintLog<'static>>, signer: SignerKey, clock: Arc<dyn Clock>) -> Self {
        Self {
            log,
            signer,
            clock,
            range: Mutex::new(None),
            latest: watch::Sender::new(None),
            wanted: Notify::new(),
        }
    }

    /// The log's name: every checkpoint's origin line and its key's name.
    pub fn origin(&self) -> &str {
        self.signer.name()
    }

    pub fn verifier_key(&self) -> VerifierKey {
        self.signer.verifier_key()
    }

    /// The latest checkpoint this process signed or read.
    pub fn latest(&self) -> Option<Arc<StoredCheckpoint>> {
        self.latest.borrow().clone()
    }

    /// The latest checkpoint's signed note: this process's, or the store's when another
    /// authority signed a later one; an empty log's (size 0) when none was signed yet.
    pub async fn checkpoint_note(&self) -> Result<String, LogProofError> {
        Ok(match self.latest_known().await? {
            Some(latest) => latest.note.clone(),
            None => self.sign(0, chittyid_domain::log::empty_root()),
        })
    }

    /// The note of this log's checkpoint of `size` leaves whose root is `root`.
    fn sign(&self, size: u64, root: Hash) -> String {
        let checkpoint = Checkpoint {
            origin: self.signer.name().to_owned(),
            size,
            root,
        };
        self.signer.sign(&checkpoint.body()).encode()
    }

    /// Reads the latest stored checkpoint and checks that it is this key's (a log signed by
    /// another key is refused: give every authority on one store the same key) and that the
    /// stored tree still gives its root.
    async fn resume(&self) -> anyhow::Result<CompactRange> {
        let own = self.signer.verifier_key().encode();
        let claimed = self.log.claim_key(&own).await?;
        anyhow::ensure!(
            claimed == own,
            "the mint log in this store is signed by the key {claimed}, and this authority was \
             given {own}: every authority on one store must be given the same log key (--log-key)"
        );
        let Some(stored) = self.log.latest_checkpoint().await? else {
            return Ok(CompactRange::empty());
        };
        let note = SignedNote::parse(&stored.note)
            .map_err(|err| anyhow::anyhow!("the stored checkpoint of {}: {err}", stored.size))?;
        verify_note(&note, &self.signer.verifier_key()).map_err(|err| {
            anyhow::anyhow!(
                "the mint log in this store is not signed by this authority's log key {} ({err}): \
                 every authority on one store must be given the same key",
                self.signer.name()
            )
        })?;
        let checkpoint = Checkpoint::parse(&note.text)
            .map_err(|err| anyhow::anyhow!("the stored checkpoint of {}: {err}", stored.size))?;
        let ids = frontier_nodes(checkpoint.size);
        let found = self.nodes(&ids).await?;
        let hashes = ids
            .iter()
            .map(|id| found.get(id).copied())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the stored tree lacks subtrees of checkpoint {}",
                    stored.size
                )
            })?;
        let range = CompactRange::from_frontier(checkpoint.size, hashes).expect("one per bit");
        anyhow::ensure!(
            range.root() == checkpoint.root,
            "the stored tree does not give the root of checkpoint {}: the log was changed",
            checkpoint.size
        );
        self.latest.send_replace(Some(Arc::new(stored)));
        Ok(range)
    }

    /// Appends to the tree every leaf the store holds beyond it, keeps the subtrees that
    /// completed, and signs a checkpoint of the new size. Returns the latest size.
    pub async fn integrate(&self) -> anyhow::Result<u64> {
        let mut held = self.range.lock().await;
        let stored_size = match self.log.latest_checkpoint().await? {
            Some(latest) => latest.size,
            None => 0,
        };
        // Start from the store's checkpoint when another authority got further.
        let mut range = match held.take() {
            Some(range) if range.size() >= stored_size => range,
            _ => self.resume().await?,
        };
        let start = range.size();
        let mut nodes = Vec::new();
        loop {
            let leaves = self.log.leaves(range.size(), INTEGRATE_BATCH).await?;
            for leaf in &leaves {
                nodes.extend(
                    range
                        .append(*leaf)
                        .into_iter()
                        .filter(|(id, _)| id.level >= KEPT_FROM_LEVEL),
                );
            }
            if leaves.len() < INTEGRATE_BATCH as usize {
                break;
            }
        }
        let size = range.size();
        if size > start || (size > 0 && self.latest().is_none()) {
            let stored = StoredCheckpoint {
                size,
                note: self.sign(size, range.root()),
                signed_at_unix_ms: self.clock.unix_ms(),
            };
            // On failure `held` stays empty: the next integration starts over from the store.
            self.log.integrate(nodes, stored.clone()).await?;
            self.latest.send_replace(Some(Arc::new(stored)));
        }
        *held = Some(range);
        Ok(size)
    }

    /// Integrates every `every`, or at once when a receipt is wanted, until the service is
    /// dropped by everyone else. A failed integration is logged once per run of failures.
    pub async fn run_checkpointer(self: Arc<Self>, every: Duration) {
        let mut failing = false;
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = self.wanted.notified() => {}
            }
            if Arc::strong_count(&self) == 1 {
                return;
            }
            match self.integrate().await {
                Ok(_) if failing => {
                    tracing::info!("the mint log is checkpointed again");
                    failing = false;
                }
                Ok(_) => {}
                Err(err) if !failing => {
                    tracing::error!(error = %format!("{err:#}"), "checkpointing the mint log failed");
                    failing = true;
                }
                Err(_) => {}
            }
        }
    }

    /// Waits (up to `deadline`) for a checkpoint that covers leaf `index`; wakes the
    /// checkpointer rather than waiting for its next turn.
    pub async fn wait_for_leaf(
        &self,
        index: u64,
        deadline: Duration,
    ) -> Option<Arc<StoredCheckpoint>> {
        let mut latest = self.latest.subscribe();
        self.wanted.notify_one();
        let covered = latest.wait_for(|c| c.as_ref().is_some_and(|c| c.size > index));
        match tokio::time::timeout(deadline, covered).await {
            Ok(Ok(checkpoint)) => checkpoint.clone(),
            _ => None,
        }
    }

    /// The inclusion proof of `id` in the tree of `size` leaves (the latest checkpoint's size
    /// if `None`).
    pub async fn inclusion(
        &self,
        id: &ChittyId,
        size: Option<u64>,
    ) -> Result<InclusionProof, LogProofError> {
        let index = self
            .log
            .index_of(id)
            .await?
            .ok_or(LogProofError::NotLogged(*id))?;
        let mut latest = self.latest_size().await?;
        if size.is_none() && index >= latest {
            // Minted since the last checkpoint: the next one (asked for now) holds it.
            latest = self
                .wait_for_leaf(index, RECEIPT_WAIT)
                .await
                .map_or(latest, |checkpoint| checkpoint.size);
        }
        let size = size.unwrap_or(latest);
        if size > latest {
            return Err(LogProofError::BeyondCheckpoint { size, latest });
        }
        if index >= size {
            return Err(if size == latest {
                LogProofError::NotYetCheckpointed { index, size }
            } else {
                ProofRequestError::IndexOutOfRange { index, size }.into()
            });
        }
        let entry = self.log.logged_mints(index, 1).await?.pop();
        let leaf = entry
            .filter(|entry| entry.index == index)
            .and_then(|entry| {
                let ledger = entry.ledger?;
                let leaf = mint_leaf(id, ledger.minted_at_unix_ms);
                (ledger.chitty_id == id.as_str()
                    && ledger.entity_type == id.entity_type().letter().to_string()
                    && leaf_hash(&leaf) == entry.leaf_hash)
                    .then_some(leaf)
            })
            .ok_or(LogProofError::LedgerChanged(*id))?;
        let found = self.nodes(&inclusion_nodes(index, size)).await?;
        let hashes = inclusion_proof_from(index, size, |id| found.get(&id).copied())?;
        Ok(InclusionProof {
            index,
            tree_size: size,
            leaf,
            hashes,
        })
    }

    /// A receipt for these IDs: the first checkpoint that holds them all (waited for, up to
    /// two seconds) and each one's inclusion proof against it.
    pub async fn receipt(
        &self,
        ids: &[ChittyId],
    ) -> Result<(Arc<StoredCheckpoint>, Vec<InclusionProof>), LogProofError> {
        let mut last = 0;
        for id in ids {
            let index = self
                .log
                .index_of(id)
                .await?
                .ok_or(LogProofError::NotLogged(*id))?;
            last = last.max(index);
        }
        let checkpoint = match self.latest() {
            Some(latest) if latest.size > last => latest,
            _ => self.wait_for_leaf(last, RECEIPT_WAIT).await.ok_or(
                LogProofError::NotYetCheckpointed {
                    index: last,
                    size: self.latest().map_or(0, |c| c.size),
                },
            )?,
        };
        let mut proofs = Vec::with_capacity(ids.len());
        for id in ids {
            proofs.push(self.inclusion(id, Some(checkpoint.size)).await?);
        }
        Ok((checkpoint, proofs))
    }

    /// The consistency proof between the trees of `from` and `to` leaves.
    pub async fn consistency(&self, from: u64, to: u64) -> Result<Vec<Hash>, LogProofError> {
        let latest = self.latest_size().await?;
        if to > latest {
            return Err(LogProofError::BeyondCheckpoint { size: to, latest });
        }
        let found = self.nodes(&consistency_nodes(from, to)).await?;
        Ok(consistency_proof_from(from, to, |id| {
            found.get(&id).copied()
        })?)
    }

    /// The size of the latest checkpoint, this process's or another authority's.
    async fn latest_size(&self) -> Result<u64, LogError> {
        Ok(self.latest_known().await?.map_or(0, |c| c.size))
    }

    /// The larger of this process's latest checkpoint and the store's (another authority's).
    async fn latest_known(&self) -> Result<Option<Arc<StoredCheckpoint>>, LogError> {
        let own = self.latest();
        let stored = self.log.latest_checkpoint().await?;
        Ok(match (own, stored) {
            (Some(own), Some(stored)) if stored.size <= own.size => Some(own),
            (_, Some(stored)) => Some(Arc::new(stored)),
            (own, None) => own,
        })
    }

    /// The hashes of `ids`: leaves and kept subtrees as stored, smaller subtrees from their
    /// leaves.
    async fn nodes(
        &self,
        ids: &[NodeId],
    ) -> Result<std::collections::HashMap<NodeId, Hash>, LogError> {
        let reads = stored_reads(ids, KEPT_FROM_LEVEL);
        let mut found = self.log.nodes(&reads).await?.into_iter().collect();
        fill_small_subtrees(ids, KEPT_FROM_LEVEL, &mut found);
        Ok(found)
    }

    /// The store, for `verify-log`.
    pub fn store(&self) -> &DynMintLog<'static> {
        &self.log
    }
}

/// What `verify-log` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogAudit {
    /// Leaves in the log.
    pub leaves: u64,
    /// Signed checkpoints checked.
    pub checkpoints: u64,
    /// The largest checkpoint's size: leaves beyond it are not covered by a signature yet.
    pub checkpointed: u64,
    pub problems: Vec<LogProblem>,
}

/// One thing the ledger, the log and the checkpoints disagree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogProblem {
    /// The leaf index concerned, when there is one.
    pub index: Option<u64>,
    pub message: String,
}

/// Recomputes the tree from the log's leaves and checks it against every checkpoint signed by
/// `key`, and every leaf against the ledger's row it stands for: a ledger row deleted, changed
/// or inserted afterwards, a leaf changed or removed, a checkpoint not signed by the key.
pub async fn verify_log(log: &DynMintLog<'_>, key: &VerifierKey) -> anyhow::Result<LogAudit> {
    let mut problems = Vec::new();
    let mut problem = |index: Option<u64>, message: String| {
        problems.push(LogProblem { index, message });
    };
    // The checkpoints, smallest first, each checked against its signature.
    let mut roots = Vec::new();
    let mut after = 0;
    loop {
        let batch = log.checkpoints(after, 1_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.size;
        for stored in batch {
            let checked = SignedNote::parse(&stored.note)
                .map_err(|err| err.to_string())
                .and_then(|note| {
                    verify_note(&note, key).map_err(|err| err.to_string())?;
                    Checkpoint::parse(&note.text).map_err(|err| err.to_string())
                });
            match checked {
                Ok(checkpoint) if checkpoint.size == stored.size => roots.push(checkpoint),
                Ok(checkpoint) => problem(
                    None,
                    format!(
                        "the checkpoint kept as size {} says {}",
                        stored.size, checkpoint.size
                    ),
                ),
                Err(err) => problem(None, format!("the checkpoint of {}: {err}", stored.size)),
            }
        }
    }
    let mut checkpoints = roots.iter().peekable();
    let mut range = CompactRange::empty();
    'leaves: loop {
        let batch = log.logged_mints(range.size(), INTEGRATE_BATCH).await?;
        let done = batch.len() < INTEGRATE_BATCH as usize;
        for entry in batch {
            let index = range.size();
            if entry.index != index {
                problem(
                    Some(index),
                    format!(
                        "leaves {index} to {} are missing from the log: they were deleted",
                        entry.index - 1
                    ),
                );
                // The tree cannot be rebuilt past a hole: what follows is not checked.
                break 'leaves;
            }
            match &entry.ledger {
                None => problem(
                    Some(index),
                    format!("leaf {index}: its ledger row was deleted"),
                ),
                Some(ledger) => match ChittyId::parse(&ledger.chitty_id) {
                    Err(_) => problem(
                        Some(index),
                        format!(
                            "leaf {index}: its ledger row holds {:?}, no canonical ID",
                            ledger.chitty_id
                        ),
                    ),
                    Ok(id) => {
                        let leaf = leaf_hash(&mint_leaf(&id, ledger.minted_at_unix_ms));
                        if ledger.entity_type != id.entity_type().letter().to_string()
                            || leaf != entry.leaf_hash
                        {
                            problem(
                                Some(index),
                                format!("leaf {index}: the ledger's row of {id} was changed"),
                            );
                        }
                    }
                },
            }
            range.append(entry.leaf_hash);
            while let Some(checkpoint) = checkpoints.next_if(|c| c.size <= range.size()) {
                if checkpoint.size == range.size() && checkpoint.root != range.root() {
                    problem(
                        Some(index),
                        format!(
                            "the log's leaves up to {index} do not give the root of the \
                             checkpoint of {} leaves: the log was changed",
                            checkpoint.size
                        ),
                    );
                }
            }
        }
        if done {
            break;
        }
    }
    for checkpoint in checkpoints {
        problem(
            None,
            format!(
                "a checkpoint of {} leaves was signed, but only {} leaves could be checked",
                checkpoint.size,
                range.size()
            ),
        );
    }
    for id in log.unlogged_mints(1_000).await? {
        problem(
            None,
            format!("{id} is in the ledger but not in the log: it was inserted afterwards"),
        );
    }
    Ok(LogAudit {
        leaves: range.size(),
        checkpoints: roots.len() as u64,
        checkpointed: roots.last().map_or(0, |c| c.size),
        problems,
    })
}
