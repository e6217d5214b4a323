//! [`ChittyId`]: a value that can only hold a canonical, checksum-verified ChittyID.

use std::fmt;
use std::str::FromStr;

use crate::components::{
    Checksum, EntityType, Jurisdiction, Region, Sequence, TrustLevel, Version, YearMonth,
};
use crate::error::{ParseError, Segment};
use crate::fast;
use crate::grammar::{self, CANONICAL};

const LEN: usize = CANONICAL.total_len();

/// The parts of a ChittyID other than its checksum, which is always computed from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Components {
    pub version: Version,
    pub region: Region,
    pub jurisdiction: Jurisdiction,
    pub sequence: Sequence,
    pub entity_type: EntityType,
    pub year_month: YearMonth,
    pub trust_level: TrustLevel,
}

/// A canonical ChittyID, `VV-G-LLL-SSSS-T-YYMM-C-XX`, e.g. `03-1-USA-0001-P-2602-0-85`.
///
/// The text is private: the only ways in are [`ChittyId::parse`] (and the `FromStr`/serde
/// impls that call it) and [`ChittyId::from_components`], so every value is well formed and
/// carries a correct checksum. It holds just the 25 bytes; accessors decode on demand, which
/// keeps parsing (the hot path) to verification alone.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChittyId {
    text: [u8; LEN],
}

impl ChittyId {
    /// Length of every canonical ChittyID, in bytes and in characters.
    pub const LEN: usize = LEN;
    /// Prefix of the DID form, `did:chitty:<ID>`.
    pub const DID_PREFIX: &'static str = "did:chitty:";

    /// Parses a canonical ChittyID. Exact: no trimming, no case folding.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if let Ok(bytes) = <&[u8; LEN]>::try_from(input.as_bytes())
            && fast::is_valid_canonical(bytes)
        {
            return Ok(Self {
                text: copy_text(bytes),
            });
        }
        Self::parse_with_diagnosis(input)
    }

    /// The general path: says exactly what is wrong. Also accepts what the fast path accepts.
    #[cold]
    fn parse_with_diagnosis(input: &str) -> Result<Self, ParseError> {
        grammar::check_shape(input, CANONICAL)?;
        let bytes = input.as_bytes();
        grammar::verify(bytes, CANONICAL, |ym| (1..=12).contains(&(ym % 100)))?;
        Ok(Self {
            text: copy_text(bytes),
        })
    }

    /// Parses raw bytes, as they come off a socket or a file: bytes that are not UTF-8 give
    /// [`ParseError::InvalidUtf8`] with the position of the first bad one.
    pub fn parse_bytes(input: &[u8]) -> Result<Self, ParseError> {
        if input.len() > crate::MAX_INPUT_LEN {
            return Err(ParseError::TooLong {
                length: input.len(),
            });
        }
        match std::str::from_utf8(input) {
            Ok(text) => Self::parse(text),
            Err(err) => Err(ParseError::invalid_utf8(
                std::str::from_utf8(&input[..err.valid_up_to()]).unwrap_or_default(),
            )),
        }
    }

    /// Builds the ID for these components, computing its checksum. Every component type already
    /// refuses out-of-range values, so this cannot fail.
    pub fn from_components(components: Components) -> Self {
        fn put(text: &mut [u8; LEN], segment: Segment, value: &[u8]) {
            let start = CANONICAL.offset(segment);
            text[start..start + value.len()].copy_from_slice(value);
        }
        let mut text = [b'-'; LEN];
        put(
            &mut text,
            Segment::Version,
            &two_digits(components.version.number()),
        );
        put(
            &mut text,
            Segment::Region,
            &[b'0' + components.region.digit()],
        );
        put(
            &mut text,
            Segment::Jurisdiction,
            &components.jurisdiction.bytes(),
        );
        let sequence = components.sequence.value();
        let [hi, lo] = [(sequence / 100) as u8, (sequence % 100) as u8].map(two_digits);
        put(&mut text, Segment::Sequence, &[hi[0], hi[1], lo[0], lo[1]]);
        put(
            &mut text,
            Segment::EntityType,
            &[components.entity_type.letter() as u8],
        );
        let [yy, mm] = [
            components.year_month.year_of_century(),
            components.year_month.month(),
        ]
        .map(two_digits);
        put(&mut text, Segment::YearMonth, &[yy[0], yy[1], mm[0], mm[1]]);
        put(
            &mut text,
            Segment::TrustLevel,
            &[b'0' + components.trust_level.level()],
        );
        let checksum =
            grammar::checksum_of_checked(&text[..CANONICAL.offset(Segment::Checksum) - 1]);
        put(&mut text, Segment::Checksum, &two_digits(checksum.value()));
        Self { text }
    }

    /// Parses the DID form `did:chitty:<ID>`.
    pub fn parse_did(input: &str) -> Result<Self, DidError> {
        let id = input
            .strip_prefix(Self::DID_PREFIX)
            .ok_or(DidError::MissingPrefix)?;
        Self::parse(id).map_err(DidError::Id)
    }

    pub fn to_did(&self) -> String {
        format!("{}{}", Self::DID_PREFIX, self.as_str())
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text).expect("a ChittyId holds ASCII only")
    }

    fn decoded(&self) -> grammar::Decoded {
        grammar::decode(&self.text, CANONICAL)
    }

    pub fn components(&self) -> Components {
        Components {
            version: self.version(),
            region: self.region(),
            jurisdiction: self.jurisdiction(),
            sequence: self.sequence(),
            entity_type: self.entity_type(),
            year_month: self.year_month(),
            trust_level: self.trust_level(),
        }
    }

    pub fn version(&self) -> Version {
        self.decoded().version
    }

    pub fn region(&self) -> Region {
        self.decoded().region
    }

    pub fn jurisdiction(&self) -> Jurisdiction {
        self.decoded().jurisdiction
    }

    pub fn sequence(&self) -> Sequence {
        self.decoded().sequence
    }

    pub fn entity_type(&self) -> EntityType {
        self.decoded().entity_type
    }

    pub fn year_month(&self) -> YearMonth {
        let year_month = self.decoded().year_month;
        YearMonth::try_new(2000 + year_month / 100, (year_month % 100) as u8)
            .expect("parse checked the month; YY is always 2000-2099")
    }

    pub fn trust_level(&self) -> TrustLevel {
        self.decoded().trust_level
    }

    pub fn checksum(&self) -> Checksum {
        self.decoded().checksum
    }
}

/// Out of line on purpose: inlined, the compiler rebuilds the 25 bytes one at a time from the
/// registers verification left them in (~45 instructions); called, it is four word moves.
#[inline(never)]
fn copy_text(bytes: &[u8]) -> [u8; LEN] {
    bytes.try_into().expect("check_shape verified the length")
}

const fn two_digits(value: u8) -> [u8; 2] {
    [b'0' + value / 10, b'0' + value % 10]
}

/// Why a `did:chitty:` string is not a ChittyID DID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidError {
    #[error("a ChittyID DID starts with \"did:chitty:\"")]
    MissingPrefix,
    #[error(transparent)]
    Id(ParseError),
}

impl fmt::Debug for ChittyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChittyId({})", self.as_str())
    }
}

impl fmt::Display for ChittyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChittyId {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

impl TryFrom<&str> for ChittyId {
    type Error = ParseError;

    fn try_from(input: &str) -> Result<Self, Self::Error> {
        Self::parse(input)
    }
}

impl AsRef<str> for ChittyId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl serde::Serialize for ChittyId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ChittyId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = ChittyId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a canonical ChittyID string such as 03-1-USA-0001-P-2602-0-85")
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<ChittyId, E> {
                ChittyId::parse(value).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: [&str; 6] = [
        "03-1-USA-0001-P-2602-0-85",
        "03-4-JPN-0420-L-2511-5-34",
        "03-2-BRA-9999-A-2601-1-95",
        "03-9-DEU-0000-E-2612-4-66",
        "03-6-AUS-3141-T-2509-2-59",
        "03-1-CAN-0777-P-2701-3-10",
    ];

    fn parse(input: &str) -> ChittyId {
        ChittyId::parse(input).unwrap_or_else(|e| panic!("{input} should parse: {e}"))
    }

    #[test]
    fn spec_vectors_parse_and_display_unchanged() {
        for vector in VECTORS {
            assert_eq!(parse(vector).to_string(), vector);
        }
    }

    #[test]
    fn accessors_return_every_segment_typed() {
        let id = parse("03-4-JPN-0420-L-2511-5-34");
        assert_eq!(id.version(), Version::V03);
        assert_eq!(id.region(), Region::Asia);
        assert_eq!(id.jurisdiction().as_str(), "JPN");
        assert_eq!(id.sequence().value(), 420);
        assert_eq!(id.entity_type(), EntityType::Location);
        assert_eq!(
            (id.year_month().year(), id.year_month().month()),
            (2025, 11)
        );
        assert_eq!(id.trust_level(), TrustLevel::L5);
        assert_eq!(id.checksum().value(), 34);
    }

    #[test]
    fn from_components_computes_the_checksum() {
        let id = ChittyId::from_components(Components {
            version: Version::V03,
            region: Region::NorthAmerica,
            jurisdiction: Jurisdiction::try_new("USA").expect("valid"),
            sequence: Sequence::try_new(1).expect("valid"),
            entity_type: EntityType::Person,
            year_month: YearMonth::try_new(2026, 2).expect("valid"),
            trust_level: TrustLevel::L0,
        });
        assert_eq!(id.as_str(), "03-1-USA-0001-P-2602-0-85");
        assert_eq!(id, parse("03-1-USA-0001-P-2602-0-85"));
    }

    #[test]
    fn errors_name_segment_position_expected_and_found() {
        let err = |input| ChittyId::parse(input).expect_err("must fail");
        assert_eq!(
            err("03-1-USA-0001-P-2602-0-84"),
            ParseError::ChecksumMismatch {
                position: 24,
                expected: Checksum::from_checked(85),
                found: 84
            }
        );
        assert_eq!(
            err("03-1-USA-0001-I-2602-0-85"),
            ParseError::InvalidCharacter {
                segment: Segment::EntityType,
                position: 15,
                expected: "one of P, L, T, E, A",
                found: 'I'
            }
        );
        assert_eq!(
            err("03-1-usa-0001-P-2602-0-85"),
            ParseError::InvalidCharacter {
                segment: Segment::Jurisdiction,
                position: 6,
                expected: "an upper-case letter A-Z",
                found: 'u'
            }
        );
        assert_eq!(
            err("03-1-USA-0001-P-2613-0-85"),
            ParseError::OutOfRange {
                segment: Segment::YearMonth,
                position: 17,
                expected: "a month 01-12",
                found: 2613
            }
        );
        assert_eq!(
            err("07-1-USA-0001-P-2602-0-85"),
            ParseError::OutOfRange {
                segment: Segment::Version,
                position: 1,
                expected: "01-05",
                found: 7
            }
        );
        assert_eq!(
            err("03-1-USA-01-P-2602-0-85"),
            ParseError::SegmentLength {
                segment: Segment::Sequence,
                position: 10,
                expected: 4,
                found: 2
            }
        );
        assert_eq!(
            err("03-1-USA-0001-P-2602-0-8"),
            ParseError::SegmentLength {
                segment: Segment::Checksum,
                position: 24,
                expected: 2,
                found: 1
            }
        );
        assert_eq!(
            err("03-1-ÜSA-0001-P-2602-0-85"),
            ParseError::InvalidCharacter {
                segment: Segment::Jurisdiction,
                position: 6,
                expected: "an upper-case letter A-Z",
                found: 'Ü'
            }
        );
        assert_eq!(
            err("03-1-USA-0001-P-2602-85"),
            ParseError::SegmentCount {
                expected: 8,
                found: 7
            }
        );
        assert_eq!(err(""), ParseError::Empty);
        assert_eq!(
            err(" 03-1-USA-0001-P-2602-0-85"),
            ParseError::SegmentLength {
                segment: Segment::Version,
                position: 1,
                expected: 2,
                found: 3
            }
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_say_where() {
        assert_eq!(
            ChittyId::parse_bytes(b"03-1-\xff"),
            Err(ParseError::InvalidUtf8 { position: 6 })
        );
        assert_eq!(
            ChittyId::parse_bytes(b"\xc3\xa9\xff"),
            Err(ParseError::InvalidUtf8 { position: 2 })
        );
        assert_eq!(
            ChittyId::parse_bytes(b"03-1-USA-0001-P-2602-0-85").map(|id| id.to_string()),
            Ok("03-1-USA-0001-P-2602-0-85".to_owned())
        );
        assert!(matches!(
            ChittyId::parse_bytes(&[0xff; 1 << 20]),
            Err(ParseError::TooLong { .. })
        ));
    }

    #[test]
    fn huge_input_is_refused_by_length() {
        let huge = "0".repeat(1 << 20);
        assert_eq!(
            ChittyId::parse(&huge),
            Err(ParseError::TooLong { length: 1 << 20 })
        );
        let many_hyphens = "-".repeat(1 << 20);
        assert!(matches!(
            ChittyId::parse(&many_hyphens),
            Err(ParseError::TooLong { .. })
        ));
    }

    #[test]
    fn error_messages_read_as_sentences() {
        let message = ChittyId::parse("03-1-USA-0001-P-2602-0-84")
            .expect_err("bad checksum")
            .to_string();
        assert_eq!(message, "checksum at position 24: expected 85, found 84");
        let message = ChittyId::parse("03-1-USA-0001-X-2602-0-85")
            .expect_err("bad type")
            .to_string();
        assert_eq!(
            message,
            "segment entity_type (T), position 15: expected one of P, L, T, E, A, found 'X'"
        );
    }

    #[test]
    fn did_form_round_trips() {
        let id = parse(VECTORS[0]);
        assert_eq!(id.to_did(), "did:chitty:03-1-USA-0001-P-2602-0-85");
        assert_eq!(ChittyId::parse_did(&id.to_did()), Ok(id));
        assert_eq!(
            ChittyId::parse_did(VECTORS[0]),
            Err(DidError::MissingPrefix)
        );
        assert!(matches!(
            ChittyId::parse_did("did:chitty:03-1-USA-0001-P-2602-0-84"),
            Err(DidError::Id(ParseError::ChecksumMismatch { .. }))
        ));
    }

    #[test]
    fn serde_accepts_only_valid_id_strings() {
        let id = parse(VECTORS[1]);
        let json = serde_json::to_string(&id).expect("serialises");
        assert_eq!(json, format!("\"{}\"", VECTORS[1]));
        assert_eq!(serde_json::from_str::<ChittyId>(&json).ok(), Some(id));
        for bad in [
            "null",
            "42",
            "3.5",
            "true",
            "{}",
            "[]",
            "[\"03-1-USA-0001-P-2602-0-85\"]",
            "{\"id\":\"03-1-USA-0001-P-2602-0-85\"}",
            "\"03-1-USA-0001-P-2602-0-84\"",
            "\"chitty_1234567890_abc123\"",
            "\"CHITTY-INFO-123-ABC\"",
        ] {
            assert!(serde_json::from_str::<ChittyId>(bad).is_err(), "{bad}");
        }
    }
}
