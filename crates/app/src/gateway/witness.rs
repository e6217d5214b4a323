//! Verification from the authority's mint log rather than its word: given the log's verifier
//! key, the gateway answers `verify=true` from an inclusion proof against a signed checkpoint,
//! and keeps every checkpoint it accepts consistent with the last (a witness, in
//! Certificate Transparency's terms). A checkpoint that is not is a fork: an alarm (counted,
//! logged once, a readiness problem), and no verification is answered from the log until the
//! process restarts, for the log can no longer be trusted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chittyid_domain::ChittyId;
use chittyid_domain::log::{
    Checkpoint, Hash, SignedNote, VerifierKey, leaf_hash, verify_consistency, verify_inclusion,
    verify_note,
};
use chittyid_domain::resilience::Timestamp;

use crate::authority::InclusionProof;
use crate::clock::Clock;
use crate::gateway::ports::{AuthorityError, MintFacts, MintVerdict};
use crate::sync::lock;

/// The authority's log endpoints, as the gateway reads them.
#[dynosaur::dynosaur(pub DynLogSource = dyn(box) LogSource)]
#[allow(
    unreachable_pub,
    reason = "re-exported from `gateway`; the lint misreads the trait dynosaur re-emits"
)]
pub trait LogSource: Send + Sync {
    /// The latest checkpoint's signed note.
    fn checkpoint(&self) -> impl Future<Output = Result<String, AuthorityError>> + Send;

    /// `id`'s inclusion proof in the tree of `size` leaves (of the first checkpoint that holds
    /// it, if `None`); `None` when it is not in the log.
    fn inclusion(
        &self,
        id: &ChittyId,
        size: Option<u64>,
    ) -> impl Future<Output = Result<Option<InclusionProof>, AuthorityError>> + Send;

    /// The consistency proof between the trees of `from` and `to` leaves.
    fn consistency(
        &self,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<Hash>, AuthorityError>> + Send;
}

/// Why the log did not answer a verification.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    #[error(transparent)]
    Authority(AuthorityError),
    /// The log is not the one this gateway saw grow: see the alarm.
    #[error("the authority's mint log forked: {0}")]
    Forked(String),
    /// A checkpoint not signed by the key, or a proof that proves nothing.
    #[error("the authority's log answer does not verify: {0}")]
    Unverified(String),
    /// Minted, but not yet in a checkpoint (the authority signs them at least every second).
    #[error("the ID is not in a signed checkpoint yet; retry in a second")]
    NotYetCheckpointed,
}

impl From<AuthorityError> for WitnessError {
    fn from(err: AuthorityError) -> Self {
        Self::Authority(err)
    }
}

/// What the witness counted, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WitnessStats {
    /// Verifications answered from a proof that verified.
    pub proofs_verified: u64,
    /// Checkpoints refused as inconsistent with an earlier one.
    pub forks: u64,
    /// The size of the last checkpoint accepted.
    pub checkpoint_size: u64,
}

struct Seen {
    checkpoint: Checkpoint,
    fetched_at: Timestamp,
}

/// Checks the authority's log on the gateway's behalf.
pub struct LogWitness {
    source: Box<DynLogSource<'static>>,
    key: VerifierKey,
    clock: Arc<dyn Clock>,
    /// A checkpoint younger than this is used as it is.
    refresh_after: Duration,
    seen: tokio::sync::Mutex<Option<Seen>>,
    alarm: std::sync::Mutex<Option<String>>,
    proofs_verified: AtomicU64,
    forks: AtomicU64,
    checkpoint_size: AtomicU64,
}

impl std::fmt::Debug for LogWitness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWitness")
            .field("key", &self.key.name)
            .finish_non_exhaustive()
    }
}

impl LogWitness {
    /// The default: a checkpoint is fetched again after a second.
    pub const REFRESH_AFTER: Duration = Duration::from_secs(1);

    pub fn new(
        source: Box<DynLogSource<'static>>,
        key: VerifierKey,
        clock: Arc<dyn Clock>,
        refresh_after: Duration,
    ) -> Self {
        Self {
            source,
            key,
            clock,
            refresh_after,
            seen: tokio::sync::Mutex::new(None),
            alarm: std::sync::Mutex::new(None),
            proofs_verified: AtomicU64::new(0),
            forks: AtomicU64::new(0),
            checkpoint_size: AtomicU64::new(0),
        }
    }

    /// The fork alarm, once raised: what was seen.
    pub fn alarm(&self) -> Option<String> {
        lock(&self.alarm).clone()
    }

    pub fn stats(&self) -> WitnessStats {
        WitnessStats {
            proofs_verified: self.proofs_verified.load(Ordering::Relaxed),
            forks: self.forks.load(Ordering::Relaxed),
            checkpoint_size: self.checkpoint_size.load(Ordering::Relaxed),
        }
    }

    /// Whether the log holds `id`, from its inclusion proof against a checkpoint consistent
    /// with every one seen before.
    pub async fn verify(&self, id: &ChittyId) -> Result<MintVerdict, WitnessError> {
        if let Some(alarm) = self.alarm() {
            return Err(WitnessError::Forked(alarm));
        }
        let checkpoint = self.checkpoint(false).await?;
        let proof = match self.source.inclusion(id, Some(checkpoint.size)).await {
            Ok(proof) => proof,
            // Minted after this checkpoint: the authority answers against the first one that
            // holds it, which is then fetched (and checked to extend this one).
            Err(AuthorityError::Rejected { code, .. }) if code == "log_size" => {
                let Some(proof) = self.source.inclusion(id, None).await? else {
                    return Ok(MintVerdict::NotMinted);
                };
                let newer = self.checkpoint(true).await?;
                if proof.tree_size == newer.size {
                    return self.check(id, &newer, &proof);
                }
                if proof.tree_size > newer.size {
                    return Err(WitnessError::NotYetCheckpointed);
                }
                return match self.source.inclusion(id, Some(newer.size)).await? {
                    Some(proof) => self.check(id, &newer, &proof),
                    None => Ok(MintVerdict::NotMinted),
                };
            }
            Err(err) => return Err(err.into()),
        };
        match proof {
            Some(proof) => self.check(id, &checkpoint, &proof),
            None => Ok(MintVerdict::NotMinted),
        }
    }

    fn check(
        &self,
        id: &ChittyId,
        checkpoint: &Checkpoint,
        proof: &InclusionProof,
    ) -> Result<MintVerdict, WitnessError> {
        let unverified = |why: String| Err(WitnessError::Unverified(format!("{id}: {why}")));
        // The leaf names the ID, its entity type and when it was minted (docs/log.md).
        let text = String::from_utf8_lossy(&proof.leaf);
        let lines: Vec<&str> = text.split('\n').collect();
        let minted_at = match lines.as_slice() {
            ["chittyid-mint-v1", leaf_id, letter, ms, ""]
                if *leaf_id == id.as_str()
                    && *letter == id.entity_type().letter().to_string().as_str() =>
            {
                ms.parse::<i64>().ok()
            }
            _ => None,
        };
        let Some(minted_at) = minted_at else {
            return unverified("the proof's leaf is not a mint of this ID".to_owned());
        };
        if proof.tree_size != checkpoint.size {
            return unverified(format!(
                "a proof for {} leaves against a checkpoint of {}",
                proof.tree_size, checkpoint.size
            ));
        }
        if let Err(err) = verify_inclusion(
            proof.index,
            proof.tree_size,
            &leaf_hash(&proof.leaf),
            &proof.hashes,
            &checkpoint.root,
        ) {
            return unverified(err.to_string());
        }
        self.proofs_verified.fetch_add(1, Ordering::Relaxed);
        Ok(MintVerdict::Minted(MintFacts {
            entity: None,
            minted_at: Some(crate::rfc3339::rfc3339_millis(minted_at)),
        }))
    }

    /// The checkpoint to prove against: the last one seen while it is young (and `fresh` is
    /// not asked), else the authority's latest, once its signature verifies and it is
    /// consistent with the last one seen.
    async fn checkpoint(&self, fresh: bool) -> Result<Checkpoint, WitnessError> {
        let mut seen = self.seen.lock().await;
        let now = self.clock.monotonic();
        if let Some(last) = seen.as_ref()
            && !fresh
            && now.saturating_since(last.fetched_at) < self.refresh_after
        {
            return Ok(last.checkpoint.clone());
        }
        let note = self.source.checkpoint().await?;
        let checkpoint = SignedNote::parse(&note)
            .map_err(|err| err.to_string())
            .and_then(|note| {
                verify_note(&note, &self.key).map_err(|err| err.to_string())?;
                Checkpoint::parse(&note.text).map_err(|err| err.to_string())
            })
            .map_err(|why| WitnessError::Unverified(format!("the checkpoint: {why}")))?;
        if let Some(last) = seen.as_ref() {
            self.consistent(&last.checkpoint, &checkpoint).await?;
        }
        self.checkpoint_size
            .store(checkpoint.size, Ordering::Relaxed);
        *seen = Some(Seen {
            checkpoint: checkpoint.clone(),
            fetched_at: now,
        });
        Ok(checkpoint)
    }

    /// Whether `new` extends `old`; a fork raises the alarm.
    async fn consistent(&self, old: &Checkpoint, new: &Checkpoint) -> Result<(), WitnessError> {
        let proof = if new.size > old.size {
            self.source.consistency(old.size, new.size).await?
        } else {
            Vec::new()
        };
        let refuted = if new.size < old.size {
            Some(format!(
                "the log shrank from {} to {} leaves",
                old.size, new.size
            ))
        } else {
            verify_consistency(old.size, new.size, &old.root, &new.root, &proof)
                .err()
                .map(|err| {
                    format!(
                        "the checkpoint of {} leaves does not extend the one of {} seen before ({err})",
                        new.size, old.size
                    )
                })
        };
        let Some(why) = refuted else { return Ok(()) };
        self.forks.fetch_add(1, Ordering::Relaxed);
        let mut alarm = lock(&self.alarm);
        if alarm.is_none() {
            tracing::error!(
                origin = %new.origin,
                old_size = old.size,
                new_size = new.size,
                "ALARM: the authority's mint log forked: {why}; verification from the log is \
                 refused until this gateway restarts"
            );
            *alarm = Some(why.clone());
        }
        Err(WitnessError::Forked(why))
    }
}
