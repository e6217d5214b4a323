//! Why a string is not a ChittyID, precisely enough for a person to fix it and for a program to
//! branch on it.

use std::fmt;

use crate::components::Checksum;

/// Inputs longer than this are refused before any other work, so hostile input costs O(1).
pub const MAX_INPUT_LEN: usize = 128;

/// The eight segments of `VV-G-LLL-SSSS-T-YYMM-C-XX`, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Version,
    Region,
    Jurisdiction,
    Sequence,
    EntityType,
    YearMonth,
    TrustLevel,
    Checksum,
}

impl Segment {
    pub const ALL: [Segment; 8] = [
        Self::Version,
        Self::Region,
        Self::Jurisdiction,
        Self::Sequence,
        Self::EntityType,
        Self::YearMonth,
        Self::TrustLevel,
        Self::Checksum,
    ];

    /// Machine-readable name, stable across releases.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Version => "version",
            Self::Region => "region",
            Self::Jurisdiction => "jurisdiction",
            Self::Sequence => "sequence",
            Self::EntityType => "entity_type",
            Self::YearMonth => "year_month",
            Self::TrustLevel => "trust_level",
            Self::Checksum => "checksum",
        }
    }

    /// The letters the format uses for the segment.
    pub const fn symbol(self) -> &'static str {
        match self {
            Self::Version => "VV",
            Self::Region => "G",
            Self::Jurisdiction => "LLL",
            Self::Sequence => "SSSS",
            Self::EntityType => "T",
            Self::YearMonth => "YYMM",
            Self::TrustLevel => "C",
            Self::Checksum => "XX",
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.symbol())
    }
}

/// What is wrong with a string that should be a ChittyID.
///
/// `position` is the 1-based character position in the input (as an editor counts columns).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("input is empty")]
    Empty,
    #[error("input is not valid UTF-8 at position {position}")]
    InvalidUtf8 { position: usize },
    #[error("input is {length} bytes long; a ChittyID is never longer than {MAX_INPUT_LEN}")]
    TooLong { length: usize },
    #[error("expected {expected} segments separated by '-', found {found}")]
    SegmentCount { expected: usize, found: usize },
    #[error(
        "segment {segment} at position {position}: expected {expected} characters, found {found}"
    )]
    SegmentLength {
        segment: Segment,
        position: usize,
        expected: usize,
        found: usize,
    },
    #[error("segment {segment}, position {position}: expected {expected}, found {found:?}")]
    InvalidCharacter {
        segment: Segment,
        position: usize,
        expected: &'static str,
        found: char,
    },
    #[error(
        "segment {segment} at position {position}: {found} is out of range (expected {expected})"
    )]
    OutOfRange {
        segment: Segment,
        position: usize,
        expected: &'static str,
        found: u16,
    },
    #[error("checksum at position {position}: expected {expected}, found {found:02}")]
    ChecksumMismatch {
        position: usize,
        expected: Checksum,
        found: u8,
    },
}

impl ParseError {
    /// Machine-readable code, stable across releases.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::InvalidUtf8 { .. } => "invalid_utf8",
            Self::TooLong { .. } => "too_long",
            Self::SegmentCount { .. } => "segment_count",
            Self::SegmentLength { .. } => "segment_length",
            Self::InvalidCharacter { .. } => "invalid_character",
            Self::OutOfRange { .. } => "out_of_range",
            Self::ChecksumMismatch { .. } => "checksum_mismatch",
        }
    }

    /// The segment at fault, when one segment is.
    pub const fn segment(&self) -> Option<Segment> {
        match self {
            Self::SegmentLength { segment, .. }
            | Self::InvalidCharacter { segment, .. }
            | Self::OutOfRange { segment, .. } => Some(*segment),
            Self::ChecksumMismatch { .. } => Some(Segment::Checksum),
            Self::Empty
            | Self::InvalidUtf8 { .. }
            | Self::TooLong { .. }
            | Self::SegmentCount { .. } => None,
        }
    }

    /// The error for bytes that are not UTF-8: `valid_prefix` is the part before the first bad
    /// byte, whose character count gives the position.
    pub fn invalid_utf8(valid_prefix: &str) -> Self {
        Self::InvalidUtf8 {
            position: valid_prefix.chars().count() + 1,
        }
    }

    /// The 1-based character position of the fault, when there is one place to point at.
    pub const fn position(&self) -> Option<usize> {
        match self {
            Self::SegmentLength { position, .. }
            | Self::InvalidCharacter { position, .. }
            | Self::OutOfRange { position, .. }
            | Self::ChecksumMismatch { position, .. }
            | Self::InvalidUtf8 { position } => Some(*position),
            Self::Empty | Self::TooLong { .. } | Self::SegmentCount { .. } => None,
        }
    }
}
