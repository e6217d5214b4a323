//! Minting: pick the space, take the next counter of its reserved block, permute it into a
//! sequence, build the ID, record it durably, answer.

use crate::clock::Clock;
use crate::sync::lock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex as SyncMutex};

use chittyid_domain::{
    ChittyId, Jurisdiction, Region, Sequence, SequenceSpace, SpacePermutation, TrustLevel,
    ValidationError, ValidationOptions, Version, YearMonth,
};
use tokio::sync::{Mutex, OnceCell};

use sha2::{Digest, Sha256};

use super::ports::{
    CallerHash, CounterBlock, DynMintLedger, DynSequenceStore, LedgerError, MintKey, MintLedger,
    MintRecord, SequenceStore, SequenceStoreError,
};
use super::request::MintRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorityConfig {
    pub default_region: Region,
    pub default_jurisdiction: Jurisdiction,
    pub default_trust_level: TrustLevel,
    /// The most counters reserved per store round trip. Larger blocks mean fewer writes; a
    /// crash loses at most the unused part of a space's blocks.
    pub block_size: u32,
    /// The first block of a space, and the smallest: blocks double (up to `block_size`) while
    /// each is used up within [`BLOCK_FAST`], and halve while each lasts longer than
    /// [`BLOCK_SLOW`] (Leaf's dynamic step), so that a space minted in slowly loses little to
    /// a crash and a busy one writes its counter rarely.
    pub min_block_size: u32,
    /// Sequence numbers per space, at most 10,000; smaller only to exercise exhaustion.
    pub space_capacity: u32,
}

impl AuthorityConfig {
    pub const DEFAULT_BLOCK_SIZE: u32 = 100;
    pub const DEFAULT_MIN_BLOCK_SIZE: u32 = 10;
}

/// A block used up within this grows the next one.
pub const BLOCK_FAST: std::time::Duration = std::time::Duration::from_secs(15);
/// A block that lasts longer than this shrinks the next one.
pub const BLOCK_SLOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// How long a mint's idempotency key is honoured.
pub const IDEMPOTENCY_KEY_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// SHA-256 of what a mint asks for (each request's entity name as sent, metadata, region,
/// jurisdiction and trust level), so that a key reused for another request is recognised.
pub fn request_hash(requests: &[MintRequest]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for request in requests {
        // Length-prefixed fields: no two different requests encode alike.
        let mut field = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        field(request.entity.as_str().as_bytes());
        field(request.name.as_deref().unwrap_or("").as_bytes());
        field(
            request
                .metadata
                .as_ref()
                .map_or(b"", |m| m.as_json().as_bytes()),
        );
        field(&[request.region.map_or(0, |r| r.digit())]);
        field(
            request
                .jurisdiction
                .as_ref()
                .map_or(b"", |j| j.as_str().as_bytes()),
        );
        field(&[request.trust_level.map_or(u8::MAX, |t| t.level())]);
    }
    hash.finalize().into()
}

/// A minted ID, recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minted {
    pub id: ChittyId,
    pub entity_name: String,
    pub minted_at_unix_ms: i64,
    /// Minted by an earlier request with the same idempotency key, not by this one.
    pub replayed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error(transparent)]
    SpaceExhausted(SequenceStoreError),
    #[error("the current month is outside 2000-2099; check the clock")]
    ClockOutOfRange,
    #[error("the sequence store failed")]
    Store(#[source] anyhow::Error),
    #[error("the mint ledger failed")]
    Ledger(#[source] anyhow::Error),
    /// The idempotency key was first used with another request.
    #[error("this Idempotency-Key was used with a different request")]
    KeyReused,
    /// The store is known to be down (its guard is open): refused at once, nothing minted.
    #[error("the store is unavailable; retry in {} ms", retry_after.as_millis())]
    Unavailable { retry_after: std::time::Duration },
}

impl From<SequenceStoreError> for MintError {
    fn from(err: SequenceStoreError) -> Self {
        match err {
            SequenceStoreError::Exhausted { .. } => Self::SpaceExhausted(err),
            SequenceStoreError::Unavailable { retry_after } => Self::Unavailable { retry_after },
            SequenceStoreError::Unknown(err) => Self::Store(err),
        }
    }
}

impl From<LedgerError> for MintError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::KeyTaken => Self::KeyReused,
            LedgerError::Unavailable { retry_after } => Self::Unavailable { retry_after },
            err => Self::Ledger(anyhow::Error::new(err)),
        }
    }
}

/// What the authority knows of a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not a canonical ChittyID at all.
    Malformed(ValidationError),
    /// Well formed, but this authority never minted it.
    NotMintedHere(ChittyId),
    Minted(MintRecord),
}

/// The counters left in a space's reserved block, the next block if it is already reserved,
/// and the space's permutation.
struct SpaceState {
    permutation: SpacePermutation,
    next: u32,
    end: u32,
    /// The current block's size, and when its first number was handed out.
    len: u32,
    started: chittyid_domain::resilience::Timestamp,
    /// The size of the next block to reserve.
    step: u32,
    /// The next block, reserved in the background before `end` is reached (Leaf's double
    /// buffer): no mint waits on a reservation while this one keeps up. A mint that needs it
    /// before it arrives waits for it rather than reserving another (which would take the
    /// numbers after it, and at the end of a space find none left while this one holds them).
    refill: Option<tokio::task::JoinHandle<Result<CounterBlock, SequenceStoreError>>>,
}

type Slot = Arc<Mutex<Option<SpaceState>>>;

/// A block is refilled in the background once this fraction of it is left.
const REFILL_WHEN_LEFT: u32 = 10; // percent

/// The adapters an authority runs on, as trait objects. One value may serve as both stores
/// (a SQL store is the sequence store and the ledger).
pub struct AuthorityDeps {
    /// Shared with the background refills.
    pub sequences: Arc<DynSequenceStore<'static>>,
    pub ledger: Box<DynMintLedger<'static>>,
    pub clock: Arc<dyn Clock>,
}

impl AuthorityDeps {
    /// Boxes each adapter as its port.
    pub fn new(
        sequences: impl SequenceStore + 'static,
        ledger: impl MintLedger + 'static,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            sequences: Arc::from(DynSequenceStore::new_box(sequences)),
            ledger: DynMintLedger::new_box(ledger),
            clock,
        }
    }
}

impl std::fmt::Debug for AuthorityDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorityDeps").finish_non_exhaustive()
    }
}

pub struct AuthorityService {
    /// Shared with the background refills.
    store: Arc<DynSequenceStore<'static>>,
    ledger: Box<DynMintLedger<'static>>,
    clock: Arc<dyn Clock>,
    config: AuthorityConfig,
    key: OnceCell<[u8; 32]>,
    spaces: SyncMutex<Spaces>,
}

/// The spaces this process mints in, with their reserved blocks. Only the current month's can
/// be minted in, so when the month changes the others are dropped (their unused counters are
/// lost, as in a crash): memory is bounded by one month's spaces, at most 9 regions x 249
/// jurisdictions x 5 types x 6 trust levels.
#[derive(Default)]
struct Spaces {
    month: Option<YearMonth>,
    slots: HashMap<SequenceSpace, Slot>,
}

impl std::fmt::Debug for AuthorityService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorityService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AuthorityService {
    pub fn new(deps: AuthorityDeps, config: AuthorityConfig) -> Self {
        Self {
            store: deps.sequences,
            ledger: deps.ledger,
            clock: deps.clock,
            config: AuthorityConfig {
                space_capacity: config.space_capacity.min(Sequence::SPACE_SIZE),
                block_size: config.block_size.max(1),
                min_block_size: config.min_block_size.clamp(1, config.block_size.max(1)),
                ..config
            },
            key: OnceCell::new(),
            spaces: SyncMutex::new(Spaces::default()),
        }
    }

    pub fn config(&self) -> &AuthorityConfig {
        &self.config
    }

    pub fn ledger(&self) -> &DynMintLedger<'static> {
        &self.ledger
    }

    /// Sequence spaces this process holds a block for.
    pub fn spaces_held(&self) -> usize {
        lock(&self.spaces).slots.len()
    }

    pub async fn mint(
        &self,
        request: MintRequest,
        caller: CallerHash,
        key: Option<&str>,
    ) -> Result<Minted, MintError> {
        let mut minted = self.mint_batch(vec![request], caller, key).await?;
        Ok(minted.pop().expect("one request gives one ID"))
    }

    /// Mints one ID per request, recorded in one write; all or nothing. With a key, a repeat of
    /// the same request by the same caller within [`IDEMPOTENCY_KEY_TTL`] gets the IDs of the
    /// first, minted once; the key with another request is `KeyReused`.
    pub async fn mint_batch(
        &self,
        requests: Vec<MintRequest>,
        caller: CallerHash,
        key: Option<&str>,
    ) -> Result<Vec<Minted>, MintError> {
        let Some(key) = key else {
            return self.mint_new(requests, caller, None).await;
        };
        // Mint first and let the key's insert, in the same transaction, find a repeat: a new
        // key (the common case) costs no extra read. A repeat wastes the counters it drew,
        // which were never recorded nor shown, like those of a crash.
        let request_hash = request_hash(&requests);
        let now = self.clock.unix_ms();
        let mint_key = MintKey {
            caller,
            key: key.to_owned(),
            request_hash,
            taken_at_unix_ms: now,
            expires_at_unix_ms: now
                .saturating_add(i64::try_from(IDEMPOTENCY_KEY_TTL.as_millis()).unwrap_or(i64::MAX)),
        };
        match self.mint_new(requests, caller, Some(mint_key)).await {
            // The key is held, by an earlier or a concurrent mint: answer with its IDs.
            Err(MintError::KeyReused) => self
                .kept(caller, key, request_hash)
                .await?
                .ok_or(MintError::KeyReused),
            other => other,
        }
    }

    /// The IDs a key holds for this request; `KeyReused` if it holds another request's.
    async fn kept(
        &self,
        caller: CallerHash,
        key: &str,
        request_hash: [u8; 32],
    ) -> Result<Option<Vec<Minted>>, MintError> {
        let now = self.clock.unix_ms();
        let Some(kept) = self.ledger.find_key(caller, key, now).await? else {
            return Ok(None);
        };
        if kept.request_hash != request_hash {
            return Err(MintError::KeyReused);
        }
        let mut minted = Vec::with_capacity(kept.ids.len());
        for id in kept.ids {
            let record = self.ledger.find(&id).await?.ok_or_else(|| {
                MintError::Ledger(anyhow::anyhow!("the key holds {id}, which is not recorded"))
            })?;
            minted.push(Minted {
                id,
                entity_name: record.entity_name,
                minted_at_unix_ms: record.minted_at_unix_ms,
                replayed: true,
            });
        }
        Ok(Some(minted))
    }

    async fn mint_new(
        &self,
        requests: Vec<MintRequest>,
        caller: CallerHash,
        key: Option<MintKey>,
    ) -> Result<Vec<Minted>, MintError> {
        let now = self.clock.unix_ms();
        let year_month = YearMonth::from_unix_seconds(now.div_euclid(1_000))
            .map_err(|_| MintError::ClockOutOfRange)?;
        let mut records = Vec::with_capacity(requests.len());
        for request in requests {
            let space = SequenceSpace {
                version: Version::CURRENT,
                region: request.region.unwrap_or(self.config.default_region),
                jurisdiction: request
                    .jurisdiction
                    .unwrap_or(self.config.default_jurisdiction),
                entity_type: request.entity.entity_type(),
                year_month,
                trust_level: request
                    .trust_level
                    .unwrap_or(self.config.default_trust_level),
            };
            let id = space.id(self.next_sequence(&space).await?);
            records.push(MintRecord {
                id,
                entity_name: request.entity.as_str().to_owned(),
                name: request.name,
                metadata: request.metadata.map(|m| m.as_json().to_owned()),
                caller,
                minted_at_unix_ms: now,
            });
        }
        let minted = records
            .iter()
            .map(|record| Minted {
                id: record.id,
                entity_name: record.entity_name.clone(),
                minted_at_unix_ms: record.minted_at_unix_ms,
                replayed: false,
            })
            .collect();
        tracing::Instrument::instrument(
            self.ledger.record(records, key),
            tracing::debug_span!("ledger.commit"),
        )
        .await?;
        Ok(minted)
    }

    /// Whether the authority can mint: its store answers.
    pub async fn health(&self) -> Result<(), MintError> {
        self.store.ping().await.map_err(MintError::from)
    }

    /// Whether `input` is an ID this authority minted.
    /// Gives back to the store the numbers this process reserved and never handed out, so that
    /// a graceful stop costs a space nothing (a crash still loses the rest of its blocks).
    /// Call it once no mint is running any more (after the server drained): each space's state
    /// is dropped, so a later mint reserves afresh. How many numbers were given back.
    pub async fn release_unused(&self) -> u64 {
        let slots: Vec<(SequenceSpace, Slot)> = lock(&self.spaces)
            .slots
            .iter()
            .map(|(space, slot)| (*space, Arc::clone(slot)))
            .collect();
        let mut released = 0u64;
        for (space, slot) in slots {
            let Some(mut state) = slot.lock().await.take() else {
                continue;
            };
            // A refill in flight has reserved (or will): its block is the space's last one.
            let refill = match state.refill.take() {
                Some(task) => task.await.ok().and_then(Result::ok),
                None => None,
            };
            let (from, end) = match refill {
                // Contiguous with the current block: both tails go back at once.
                Some(block) if block.start == state.end => (state.next, block.end),
                // Another process reserved between the two: only the refill can go back.
                Some(block) => (block.start, block.end),
                None => (state.next, state.end),
            };
            if from >= end {
                continue;
            }
            match self.store.release_block(&space, from, end).await {
                Ok(true) => released += u64::from(end - from),
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(%space, error = %err, "giving unused sequence numbers back failed")
                }
            }
        }
        released
    }

    /// This month's fullest sequence spaces, at most `limit`, with the share of each space's
    /// capacity used (0 to 1): what capacity alerts watch. Earlier months' spaces are never
    /// minted in again, so they are left out.
    pub async fn fullest_spaces(&self, limit: usize) -> Result<Vec<(String, f64)>, MintError> {
        let now = self.clock.unix_ms();
        let month = YearMonth::from_unix_seconds(now.div_euclid(1_000))
            .map_err(|err| MintError::Store(anyhow::anyhow!("the clock: {err}")))?;
        let this_month = format!("-{:02}{:02}-", month.year_of_century(), month.month());
        let capacity = f64::from(self.config.space_capacity.max(1));
        Ok(self
            .store
            .space_usage()
            .await?
            .into_iter()
            .filter(|usage| usage.space.contains(&this_month))
            .take(limit)
            .map(|usage| (usage.space, f64::from(usage.used) / capacity))
            .collect())
    }

    pub async fn validate(&self, input: &str) -> Result<Verdict, MintError> {
        let id = match chittyid_domain::validate(input, ValidationOptions::default()) {
            Ok(chittyid_domain::ValidId::Canonical(id)) => id,
            Ok(
                chittyid_domain::ValidId::Legacy(_) | chittyid_domain::ValidId::Authority2025(_),
            ) => {
                unreachable!("legacy forms are refused unless asked for")
            }
            Err(err) => return Ok(Verdict::Malformed(err)),
        };
        Ok(match self.ledger.find(&id).await? {
            Some(record) => Verdict::Minted(record),
            None => Verdict::NotMintedHere(id),
        })
    }

    async fn next_sequence(&self, space: &SequenceSpace) -> Result<Sequence, MintError> {
        let slot = {
            let mut spaces = lock(&self.spaces);
            if spaces.month != Some(space.year_month) {
                // A new month: the old months' spaces will never be minted in again. Those
                // still in use by a mint finishing now keep their slot through its Arc.
                let month = space.year_month;
                spaces.slots.retain(|kept, _| kept.year_month == month);
                spaces.month = Some(month);
            }
            Arc::clone(spaces.slots.entry(*space).or_default())
        };
        let mut guard = slot.lock().await;
        if guard.as_ref().is_none_or(|s| s.next >= s.end) {
            let refill = guard.as_mut().and_then(|s| s.refill.take());
            let refilled = match refill {
                Some(task) => task.await.ok().and_then(Result::ok),
                None => None,
            };
            let step = guard
                .as_ref()
                .map_or(self.config.min_block_size, |s| s.step);
            let block = match refilled {
                Some(block) => block,
                // No refill, or it failed: this mint reserves, and reports what went wrong.
                None => {
                    self.store
                        .reserve_block(space, step, self.config.space_capacity)
                        .await?
                }
            };
            let permutation = match guard.take() {
                Some(previous) => previous.permutation,
                None => SpacePermutation::new(self.key().await?, space),
            };
            *guard = Some(SpaceState {
                permutation,
                next: block.start,
                end: block.end,
                len: block.end - block.start,
                started: self.clock.monotonic(),
                step,
                refill: None,
            });
        }
        let state = guard.as_mut().expect("filled above");
        let counter = Sequence::try_new(state.next).map_err(|_| {
            MintError::Store(anyhow::anyhow!(
                "the store reserved counter {} beyond the space",
                state.next
            ))
        })?;
        state.next += 1;
        let left = state.end - state.next;
        if state.refill.is_none()
            && left.saturating_mul(100) <= state.len.saturating_mul(REFILL_WHEN_LEFT)
        {
            let lasted = self.clock.monotonic().saturating_since(state.started);
            state.step = next_step(state.step, lasted, &self.config);
            state.refill = Some(self.refill(*space, state.step));
        }
        Ok(state.permutation.sequence(counter))
    }

    /// Reserves the space's next block in the background; the mint that exhausts the current
    /// block takes it. A failure (a full space, a store that does not answer) leaves none: that
    /// mint reserves the block itself and reports the error.
    fn refill(
        &self,
        space: SequenceSpace,
        count: u32,
    ) -> tokio::task::JoinHandle<Result<CounterBlock, SequenceStoreError>> {
        let store = Arc::clone(&self.store);
        let capacity = self.config.space_capacity;
        tokio::spawn(async move {
            let reserved = store.reserve_block(&space, count, capacity).await;
            if let Err(err) = &reserved {
                tracing::debug!(%space, error = %err, "background refill failed");
            }
            reserved
        })
    }

    async fn key(&self) -> Result<&[u8; 32], MintError> {
        self.key
            .get_or_try_init(|| self.store.permutation_key())
            .await
            .map_err(MintError::from)
    }
}

/// The size of a space's next block, from how long its current one lasted (up to its refill
/// point): doubled when it went fast, halved when slow, within the configured bounds.
fn next_step(step: u32, lasted: std::time::Duration, config: &AuthorityConfig) -> u32 {
    let step = if lasted < BLOCK_FAST {
        step.saturating_mul(2)
    } else if lasted > BLOCK_SLOW {
        step / 2
    } else {
        step
    };
    step.clamp(config.min_block_size, config.block_size)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::time::Duration;

    use chittyid_domain::EntityName;

    use super::*;
    use crate::authority::ports::{CounterBlock, KeptMint};

    #[derive(Default, Clone)]
    struct Counters(
        Arc<SyncMutex<HashMap<SequenceSpace, u32>>>,
        Arc<std::sync::atomic::AtomicUsize>,
    );

    impl SequenceStore for Counters {
        async fn reserve_block(
            &self,
            space: &SequenceSpace,
            count: u32,
            capacity: u32,
        ) -> Result<CounterBlock, SequenceStoreError> {
            self.1.fetch_add(1, Ordering::SeqCst);
            let mut next = lock(&self.0);
            let start = next.entry(*space).or_insert(0);
            let block = CounterBlock {
                start: *start,
                end: (*start + count).min(capacity),
            };
            *start = block.end;
            Ok(block)
        }

        async fn ping(&self) -> Result<(), SequenceStoreError> {
            Ok(())
        }

        async fn permutation_key(&self) -> Result<[u8; 32], SequenceStoreError> {
            Ok([9; 32])
        }
    }

    #[derive(Default)]
    struct Records;

    impl MintLedger for Records {
        async fn record(
            &self,
            _records: Vec<MintRecord>,
            _key: Option<MintKey>,
        ) -> Result<(), LedgerError> {
            Ok(())
        }

        async fn find(&self, _id: &ChittyId) -> Result<Option<MintRecord>, LedgerError> {
            Ok(None)
        }

        async fn find_key(
            &self,
            _caller: CallerHash,
            _key: &str,
            _now_unix_ms: i64,
        ) -> Result<Option<KeptMint>, LedgerError> {
            Ok(None)
        }
    }

    struct SetClock(AtomicI64);

    impl Clock for SetClock {
        fn monotonic(&self) -> chittyid_domain::resilience::Timestamp {
            chittyid_domain::resilience::Timestamp::ZERO
        }

        fn unix_ms(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn config(block_size: u32) -> AuthorityConfig {
        AuthorityConfig {
            default_region: Region::try_new(1).expect("valid"),
            default_jurisdiction: Jurisdiction::try_new("USA").expect("valid"),
            default_trust_level: TrustLevel::try_new(0).expect("valid"),
            block_size,
            min_block_size: block_size,
            space_capacity: 10_000,
        }
    }

    #[test]
    fn blocks_grow_while_used_up_fast_and_shrink_while_slow() {
        let config = AuthorityConfig {
            min_block_size: 10,
            ..config(100)
        };
        let fast = Duration::from_secs(1);
        let slow = BLOCK_SLOW + Duration::from_secs(1);
        let mut step = 10;
        let mut grown = Vec::new();
        for _ in 0..5 {
            step = next_step(step, fast, &config);
            grown.push(step);
        }
        assert_eq!(grown, [20, 40, 80, 100, 100]);
        assert_eq!(
            next_step(40, Duration::from_secs(60), &config),
            40,
            "steady"
        );
        assert_eq!(next_step(40, slow, &config), 20);
        assert_eq!(next_step(10, slow, &config), 10, "never below the least");
    }

    #[tokio::test]
    async fn the_next_block_is_reserved_before_the_current_one_runs_out() {
        let counters = Counters::default();
        let service = AuthorityService::new(
            AuthorityDeps::new(
                counters.clone(),
                Records,
                Arc::new(SetClock(AtomicI64::new(1_794_000_000_000))),
            ),
            config(10),
        );
        let caller = CallerHash::of_token("t");
        let peo = || MintRequest::new(EntityName::parse("PEO").expect("known"));
        for _ in 0..9 {
            service.mint(peo(), caller, None).await.expect("minted");
        }
        // One left of ten: the refill runs in the background.
        for _ in 0..100 {
            if counters.1.load(Ordering::SeqCst) == 2 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(counters.1.load(Ordering::SeqCst), 2, "refilled");
        for _ in 0..2 {
            service.mint(peo(), caller, None).await.expect("minted");
        }
        assert_eq!(
            counters.1.load(Ordering::SeqCst),
            2,
            "the 11th mint took the spare block without a reservation of its own"
        );
    }

    #[tokio::test]
    async fn only_the_current_months_spaces_are_held() {
        const NOV_2026: i64 = 1_794_000_000_000;
        const DEC_2026: i64 = 1_796_600_000_000;
        let clock = Arc::new(SetClock(AtomicI64::new(NOV_2026)));
        let service = AuthorityService::new(
            AuthorityDeps::new(
                Counters::default(),
                Records,
                Arc::clone(&clock) as Arc<dyn Clock>,
            ),
            config(10),
        );
        let caller = CallerHash::of_token("t");
        let request = |jurisdiction: &str| MintRequest {
            jurisdiction: Some(Jurisdiction::try_new(jurisdiction).expect("valid")),
            ..MintRequest::new(EntityName::parse("PEO").expect("known"))
        };
        for jurisdiction in ["USA", "CAN", "GBR", "DEU"] {
            service
                .mint(request(jurisdiction), caller, None)
                .await
                .expect("minted");
        }
        assert_eq!(service.spaces_held(), 4);
        clock.0.store(DEC_2026, Ordering::SeqCst);
        let december = service
            .mint(request("USA"), caller, None)
            .await
            .expect("minted");
        assert_eq!(december.id.as_str()[16..20], *"2612");
        assert_eq!(service.spaces_held(), 1, "November's spaces are dropped");
    }
}
