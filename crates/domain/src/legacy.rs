//! The legacy year-month form, `VV-G-LLL-SSSS-T-YYM-C-XX`, that an older authority emitted.
//!
//! Its `YYM` keeps only the last digit of the month, so January and November (and February and
//! December) collide: it cannot be turned into a canonical [`crate::ChittyId`]. It is accepted
//! only when a caller asks for legacy forms.

use std::fmt;

use crate::components::{
    Checksum, EntityType, Jurisdiction, Region, Sequence, TrustLevel, Version,
};
use crate::error::ParseError;
use crate::grammar::{self, LEGACY};

const LEN: usize = LEGACY.total_len();

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LegacyChittyId {
    text: [u8; LEN],
    version: Version,
    region: Region,
    jurisdiction: Jurisdiction,
    sequence: Sequence,
    entity_type: EntityType,
    year_of_century: u8,
    month_digit: u8,
    trust_level: TrustLevel,
    checksum: Checksum,
}

impl LegacyChittyId {
    pub const LEN: usize = LEN;

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        grammar::check_shape(input, LEGACY)?;
        let bytes = input.as_bytes();
        grammar::verify(bytes, LEGACY, |_| true)?;
        let decoded = grammar::decode(bytes, LEGACY);
        let mut text = [0; LEN];
        text.copy_from_slice(bytes);
        Ok(Self {
            text,
            version: decoded.version,
            region: decoded.region,
            jurisdiction: decoded.jurisdiction,
            sequence: decoded.sequence,
            entity_type: decoded.entity_type,
            year_of_century: (decoded.year_month / 10) as u8,
            month_digit: (decoded.year_month % 10) as u8,
            trust_level: decoded.trust_level,
            checksum: decoded.checksum,
        })
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text).expect("a LegacyChittyId holds ASCII only")
    }

    pub fn version(&self) -> Version {
        self.version
    }

    pub fn region(&self) -> Region {
        self.region
    }

    pub fn jurisdiction(&self) -> Jurisdiction {
        self.jurisdiction
    }

    pub fn sequence(&self) -> Sequence {
        self.sequence
    }

    pub fn entity_type(&self) -> EntityType {
        self.entity_type
    }

    pub fn year(&self) -> u16 {
        2000 + u16::from(self.year_of_century)
    }

    /// The months whose last digit is the one kept: `1` is January or November.
    pub fn possible_months(&self) -> &'static [u8] {
        match self.month_digit {
            0 => &[10],
            1 => &[1, 11],
            2 => &[2, 12],
            3 => &[3],
            4 => &[4],
            5 => &[5],
            6 => &[6],
            7 => &[7],
            8 => &[8],
            _ => &[9],
        }
    }

    pub fn trust_level(&self) -> TrustLevel {
        self.trust_level
    }

    pub fn checksum(&self) -> Checksum {
        self.checksum
    }
}

impl fmt::Debug for LegacyChittyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LegacyChittyId({})", self.as_str())
    }
}

impl fmt::Display for LegacyChittyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Segment;

    #[test]
    fn the_spec_example_parses_with_its_ambiguous_month() {
        let id = LegacyChittyId::parse("03-1-USA-0001-P-251-3-79").expect("spec example");
        assert_eq!(id.year(), 2025);
        assert_eq!(id.possible_months(), &[1, 11]);
        assert_eq!(id.trust_level(), TrustLevel::L3);
        assert_eq!(id.to_string(), "03-1-USA-0001-P-251-3-79");
    }

    #[test]
    fn the_checksum_rule_is_the_canonical_one() {
        assert!(matches!(
            LegacyChittyId::parse("03-1-USA-0001-P-251-3-78"),
            Err(ParseError::ChecksumMismatch { position: 23, .. })
        ));
    }

    #[test]
    fn a_canonical_id_is_not_legacy() {
        assert!(matches!(
            LegacyChittyId::parse("03-1-USA-0001-P-2602-0-85"),
            Err(ParseError::SegmentLength {
                segment: Segment::YearMonth,
                expected: 3,
                found: 4,
                ..
            })
        ));
    }
}
