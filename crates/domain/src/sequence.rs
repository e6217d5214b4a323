//! Sequence spaces and the keyed permutation that hands out their sequence numbers in an order
//! that looks random, so an ID does not reveal how many were minted before it.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::chitty_id::{ChittyId, Components};
use crate::components::{
    EntityType, Jurisdiction, Region, Sequence, TrustLevel, Version, YearMonth,
};

/// The (VV, G, LLL, T, YYMM, C) space within which sequence numbers are unique: the seven
/// segments of an ID but its sequence (and the checksum that follows from them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SequenceSpace {
    pub version: Version,
    pub region: Region,
    pub jurisdiction: Jurisdiction,
    pub entity_type: EntityType,
    pub year_month: YearMonth,
    pub trust_level: TrustLevel,
}

impl SequenceSpace {
    /// The ID with sequence `sequence` in this space.
    pub fn id(&self, sequence: Sequence) -> ChittyId {
        ChittyId::from_components(Components {
            version: self.version,
            region: self.region,
            jurisdiction: self.jurisdiction,
            sequence,
            entity_type: self.entity_type,
            year_month: self.year_month,
            trust_level: self.trust_level,
        })
    }

    /// The space an ID belongs to.
    pub fn of(id: &ChittyId) -> Self {
        Self {
            version: id.version(),
            region: id.region(),
            jurisdiction: id.jurisdiction(),
            entity_type: id.entity_type(),
            year_month: id.year_month(),
            trust_level: id.trust_level(),
        }
    }
}

impl fmt::Display for SequenceSpace {
    /// `03-1-USA-P-2602-0`: stable, and used as the storage key of the space.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}-{}-{}-{}-{:02}{:02}-{}",
            self.version.number(),
            self.region.digit(),
            self.jurisdiction,
            self.entity_type.letter(),
            self.year_month.year_of_century(),
            self.year_month.month(),
            self.trust_level.level()
        )
    }
}

const ROUNDS: usize = 4;
const HALF: u16 = 100;

/// A keyed bijection of 0..10,000 onto the sequence numbers of one space: a four-round Feistel
/// network over two base-100 halves, whose round functions are tables drawn from
/// SHA-256(key, space, round, input). Distinct counters give distinct sequences, so handing out
/// counters 0, 1, 2, ... hands out every sequence exactly once, in an order that depends on the
/// key and the space. Everyone sharing a store must share the key.
#[derive(Clone)]
pub struct SpacePermutation {
    rounds: [[u8; HALF as usize]; ROUNDS],
}

impl fmt::Debug for SpacePermutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpacePermutation(..)")
    }
}

impl SpacePermutation {
    /// Derives the permutation of `space` under `key` (400 hashes: derive once per space, then
    /// reuse).
    pub fn new(key: &[u8; 32], space: &SequenceSpace) -> Self {
        let space_key = space.to_string();
        let mut rounds = [[0u8; HALF as usize]; ROUNDS];
        for (round, table) in rounds.iter_mut().enumerate() {
            for (input, entry) in table.iter_mut().enumerate() {
                let digest = Sha256::new()
                    .chain_update(key)
                    .chain_update(space_key.as_bytes())
                    .chain_update([round as u8, input as u8])
                    .finalize();
                let word = u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"));
                *entry = (word % u64::from(HALF)) as u8;
            }
        }
        Self { rounds }
    }

    /// The sequence handed out for `counter` (0-9999).
    pub fn sequence(&self, counter: Sequence) -> Sequence {
        let index = counter.value();
        let (mut left, mut right) = (index / HALF, index % HALF);
        for table in &self.rounds {
            let mixed = (left + u16::from(table[usize::from(right)])) % HALF;
            (left, right) = (right, mixed);
        }
        Sequence::try_new(u32::from(left * HALF + right)).expect("both halves are below 100")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(letter: char) -> SequenceSpace {
        SequenceSpace {
            version: Version::CURRENT,
            region: Region::NorthAmerica,
            jurisdiction: Jurisdiction::try_new("USA").expect("valid"),
            entity_type: EntityType::try_from_letter(letter).expect("valid"),
            year_month: YearMonth::try_new(2026, 11).expect("valid"),
            trust_level: TrustLevel::L0,
        }
    }

    fn all_sequences(permutation: &SpacePermutation) -> Vec<u16> {
        (0..Sequence::SPACE_SIZE)
            .map(|c| {
                permutation
                    .sequence(Sequence::try_new(c).expect("in range"))
                    .value()
            })
            .collect()
    }

    #[test]
    fn every_counter_maps_to_a_distinct_sequence() {
        let mut sequences = all_sequences(&SpacePermutation::new(&[7; 32], &space('P')));
        sequences.sort_unstable();
        assert_eq!(sequences, (0..10_000).collect::<Vec<u16>>());
    }

    #[test]
    fn the_order_depends_on_key_and_space_and_does_not_count_up() {
        let a = all_sequences(&SpacePermutation::new(&[7; 32], &space('P')));
        let b = all_sequences(&SpacePermutation::new(&[8; 32], &space('P')));
        let c = all_sequences(&SpacePermutation::new(&[7; 32], &space('T')));
        assert_ne!(a, b);
        assert_ne!(a, c);
        let increasing = a.windows(2).filter(|w| w[1] == w[0] + 1).count();
        assert!(
            increasing < 100,
            "{increasing} of 9,999 steps count up by one"
        );
        assert_eq!(
            a,
            all_sequences(&SpacePermutation::new(&[7; 32], &space('P')))
        );
    }

    #[test]
    fn a_space_reads_as_its_storage_key_and_builds_its_ids() {
        let space = space('P');
        assert_eq!(space.to_string(), "03-1-USA-P-2611-0");
        let id = space.id(Sequence::try_new(1).expect("valid"));
        assert_eq!(SequenceSpace::of(&id), space);
        assert!(ChittyId::parse(id.as_str()).is_ok());
    }
}
