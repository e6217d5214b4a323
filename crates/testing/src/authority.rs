//! An authority in memory that fails as a test says.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chittyid_app::authority::MintRequest;
use chittyid_app::gateway::{AuthorityError, MintAuthority, MintFacts, MintVerdict, UpstreamKey};
use chittyid_domain::{
    ChittyId, EntityType, Jurisdiction, Region, Sequence, SequenceSpace, TrustLevel, Version,
    YearMonth,
};

#[derive(Debug, Default)]
struct Script {
    failures: Mutex<VecDeque<AuthorityError>>,
    down: AtomicBool,
    calls: AtomicUsize,
    next: AtomicU32,
    minted: Mutex<HashSet<ChittyId>>,
}

/// Mints people in one sequence space (USA, November 2026, counters from 0). Each mint call
/// first takes the next scripted failure, if any; while down, every call is refused. `verify`
/// says whether this authority minted the ID. Clones share the script.
#[derive(Debug, Clone, Default)]
pub struct ScriptedAuthority(Arc<Script>);

impl ScriptedAuthority {
    /// When `verify` says every ID it minted was minted.
    pub const MINTED_AT: &'static str = "2026-11-01T00:00:00.000Z";

    /// The next mint calls fail with these, in order; then minting resumes.
    pub fn fail_next(&self, failures: impl IntoIterator<Item = AuthorityError>) {
        self.0
            .failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(failures);
    }

    /// While down, every call is refused (`ConnectionRefused`).
    pub fn set_down(&self, down: bool) {
        self.0.down.store(down, Ordering::SeqCst);
    }

    /// Mint calls made (one per call, batch or not).
    pub fn calls(&self) -> usize {
        self.0.calls.load(Ordering::SeqCst)
    }

    fn refused(&self) -> Option<AuthorityError> {
        if self.0.down.load(Ordering::SeqCst) {
            return Some(AuthorityError::ConnectionRefused);
        }
        None
    }

    fn next_id(&self) -> ChittyId {
        let space = SequenceSpace {
            version: Version::CURRENT,
            region: Region::NorthAmerica,
            jurisdiction: Jurisdiction::try_new("USA").expect("a valid jurisdiction"),
            entity_type: EntityType::Person,
            year_month: YearMonth::try_new(2026, 11).expect("a valid month"),
            trust_level: TrustLevel::L0,
        };
        let counter = self.0.next.fetch_add(1, Ordering::SeqCst);
        let id = space.id(Sequence::try_new(counter).expect("fewer than 10,000 mints"));
        self.0
            .minted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id);
        id
    }
}

impl MintAuthority for ScriptedAuthority {
    async fn mint(
        &self,
        request: &MintRequest,
        key: &UpstreamKey,
    ) -> Result<ChittyId, AuthorityError> {
        Ok(self.mint_batch(std::slice::from_ref(request), key).await?[0])
    }

    async fn mint_batch(
        &self,
        requests: &[MintRequest],
        _key: &UpstreamKey,
    ) -> Result<Vec<ChittyId>, AuthorityError> {
        self.0.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(refused) = self.refused() {
            return Err(refused);
        }
        let scripted = self
            .0
            .failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        if let Some(failure) = scripted {
            return Err(failure);
        }
        Ok(requests.iter().map(|_| self.next_id()).collect())
    }

    fn honours_mint_keys(&self) -> bool {
        false
    }

    /// Minted IDs are answered as people minted at [`ScriptedAuthority::MINTED_AT`].
    async fn verify(&self, id: &ChittyId) -> Result<MintVerdict, AuthorityError> {
        if let Some(refused) = self.refused() {
            return Err(refused);
        }
        let minted = self
            .0
            .minted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(id);
        Ok(if minted {
            MintVerdict::Minted(MintFacts {
                entity: Some("PEO".to_owned()),
                minted_at: Some(Self::MINTED_AT.to_owned()),
            })
        } else {
            MintVerdict::NotMinted
        })
    }

    async fn health(&self) -> Result<(), AuthorityError> {
        self.refused().map_or(Ok(()), Err)
    }
}
