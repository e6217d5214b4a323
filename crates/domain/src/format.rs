//! Naming the shape of any string: the public material holds many non-canonical shapes under the
//! ChittyID name, and a validator should say which one it was given rather than just "false".

use std::fmt;

use crate::error::MAX_INPUT_LEN;

/// The shapes docs/format.md names. Shape only: a [`Format::Canonical`] input may still fail its
/// range or checksum checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `VV-G-LLL-SSSS-T-YYMM-C-XX`, what the authority mints.
    Canonical,
    /// `VV-G-LLL-SSSS-T-YYM-C-XX`, three-digit year-month from an older authority.
    LegacyYearMonth,
    /// `CT-A-CHI-1234-I-24-A-0`, the shape the v2.2.0 client checked; never minted.
    ClientPattern,
    /// `01-A-CHI-1234-I-2409-5-0`, letter region and one-digit check.
    DraftNumeric,
    /// `CP-1-011-4821-P-2510-I-37`, from a side service with a constant per-prefix checksum.
    PrefixTyped,
    /// `CHITTY-INFO-123-ABC`, the deprecated "simple" form.
    ChittyDash,
    /// `chitty_1234567890_abc123`, the deprecated timestamp form.
    ChittyUnderscore,
    /// `01-C-PEO-0042-P-2510-3-23`, what the authority minted in 2025 (letter region, entity
    /// prefix); accepted only when legacy forms are asked for.
    Authority2025,
    /// `00-1-ERR-5030-S-0000-0-0`, a status a client hands out in place of an ID.
    StatusPlaceholder,
    /// `00-0-SYS-…`, `00-0-ADM-…`, `99-9-TST-…`: command and test-mock patterns.
    ReservedPattern,
    /// None of the above.
    Unknown,
}

impl Format {
    pub const ALL: [Format; 11] = [
        Self::Canonical,
        Self::LegacyYearMonth,
        Self::ClientPattern,
        Self::DraftNumeric,
        Self::PrefixTyped,
        Self::ChittyDash,
        Self::ChittyUnderscore,
        Self::Authority2025,
        Self::StatusPlaceholder,
        Self::ReservedPattern,
        Self::Unknown,
    ];

    /// Machine-readable name, stable across releases.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Canonical => "canonical",
            Self::LegacyYearMonth => "legacy_year_month",
            Self::ClientPattern => "v2_2_0_client_pattern",
            Self::DraftNumeric => "draft_numeric",
            Self::PrefixTyped => "prefix_typed",
            Self::ChittyDash => "chitty_dash",
            Self::ChittyUnderscore => "chitty_underscore",
            Self::Authority2025 => "authority_2025",
            Self::StatusPlaceholder => "status_placeholder",
            Self::ReservedPattern => "reserved_pattern",
            Self::Unknown => "unknown",
        }
    }

    /// Why a string of this shape is not a canonical ChittyID.
    pub const fn explanation(self) -> &'static str {
        match self {
            Self::Canonical => "the canonical form",
            Self::LegacyYearMonth => {
                "the legacy year-month form (3-digit YYM, January and November collide); \
                 accepted only when legacy forms are asked for"
            }
            Self::ClientPattern => {
                "the v2.2.0 client pattern, which the authority never minted; it has no checksum"
            }
            Self::DraftNumeric => {
                "the draft numeric form (letter region, one-digit check), which matches no authority rule"
            }
            Self::PrefixTyped => {
                "the prefix-typed form of a side service whose checksum was constant per prefix"
            }
            Self::ChittyDash => "the deprecated CHITTY- simple form",
            Self::ChittyUnderscore => "the deprecated chitty_ timestamp form",
            Self::Authority2025 => {
                "the authority's 2025 form (letter region, entity prefix); accepted only when \
                 legacy forms are asked for"
            }
            Self::StatusPlaceholder => {
                "a status placeholder that a client returns in place of an ID when the service \
                 is down; never an ID"
            }
            Self::ReservedPattern => {
                "a reserved command or test pattern that a client treats specially; never an ID"
            }
            Self::Unknown => "not a known ChittyID shape",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One segment of a shape: its length and the characters it admits.
#[derive(Clone, Copy)]
enum Class {
    Digit,
    Upper,
    UpperOrDigit,
    /// Exactly one of these two-letter prefixes.
    Prefix(&'static [&'static str]),
}

type Pattern = [(usize, Class); 8];

use Class::{Digit as D, Upper as U, UpperOrDigit as X};

const CANONICAL: Pattern = [
    (2, D),
    (1, D),
    (3, U),
    (4, D),
    (1, U),
    (4, D),
    (1, D),
    (2, D),
];
const LEGACY: Pattern = [
    (2, D),
    (1, D),
    (3, U),
    (4, D),
    (1, U),
    (3, D),
    (1, D),
    (2, D),
];
const CLIENT: Pattern = [
    (2, U),
    (1, U),
    (3, U),
    (4, D),
    (1, U),
    (2, D),
    (1, U),
    (1, X),
];
const DRAFT: Pattern = [
    (2, D),
    (1, U),
    (3, U),
    (4, D),
    (1, U),
    (4, D),
    (1, D),
    (1, D),
];
const PREFIX_TYPED: Pattern = [
    (2, Class::Prefix(&["CP", "CL", "CT", "CE"])),
    (1, D),
    (3, X),
    (4, D),
    (1, U),
    (4, D),
    (1, X),
    (2, D),
];

/// Also requires VV `01` (see [`classify`]).
const AUTHORITY_2025: Pattern = [
    (2, D),
    (1, U),
    (3, U),
    (4, D),
    (1, U),
    (4, D),
    (1, D),
    (2, D),
];

const EIGHT_SEGMENT_SHAPES: [(Format, Pattern); 6] = [
    (Format::Canonical, CANONICAL),
    (Format::LegacyYearMonth, LEGACY),
    (Format::ClientPattern, CLIENT),
    (Format::DraftNumeric, DRAFT),
    (Format::PrefixTyped, PREFIX_TYPED),
    (Format::Authority2025, AUTHORITY_2025),
];

/// Names the shape of `input`. Constant work for inputs over [`MAX_INPUT_LEN`] bytes.
pub fn classify(input: &str) -> Format {
    if input.len() > MAX_INPUT_LEN || input.is_empty() {
        return Format::Unknown;
    }
    if let Some(rest) = input.strip_prefix("CHITTY-") {
        return if chitty_dash_body(rest) {
            Format::ChittyDash
        } else {
            Format::Unknown
        };
    }
    if let Some(rest) = input.strip_prefix("chitty_") {
        return if chitty_underscore_body(rest) {
            Format::ChittyUnderscore
        } else {
            Format::Unknown
        };
    }
    let Some(segments) = eight_segments(input) else {
        return Format::Unknown;
    };
    // Never IDs, whatever else their shape resembles: named first.
    if crate::placeholder::ReservedPattern::of_segments(&segments).is_some() {
        return Format::ReservedPattern;
    }
    if crate::placeholder::StatusPlaceholder::of_segments(&segments).is_some() {
        return Format::StatusPlaceholder;
    }
    EIGHT_SEGMENT_SHAPES
        .iter()
        .find(|(format, pattern)| {
            matches_pattern(&segments, pattern)
                && (*format != Format::Authority2025 || segments[0] == "01")
        })
        .map_or(Format::Unknown, |(format, _)| *format)
}

/// The eight `-`-separated segments of `input`, without allocating; `None` when it has another
/// number of them.
pub(crate) fn eight_segments(input: &str) -> Option<[&str; 8]> {
    let mut segments = [""; 8];
    let mut parts = input.split('-');
    for slot in &mut segments {
        *slot = parts.next()?;
    }
    parts.next().is_none().then_some(segments)
}

fn matches_pattern(segments: &[&str; 8], pattern: &Pattern) -> bool {
    segments
        .iter()
        .zip(pattern)
        .all(|(segment, &(length, class))| {
            segment.len() == length
                && match class {
                    Class::Digit => segment.bytes().all(|b| b.is_ascii_digit()),
                    Class::Upper => segment.bytes().all(|b| b.is_ascii_uppercase()),
                    Class::UpperOrDigit => segment
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
                    Class::Prefix(prefixes) => prefixes.contains(segment),
                }
        })
}

/// `INFO-123-ABC`, `PROP-000001-B2D893F2`: upper-case letters, digits and inner hyphens.
fn chitty_dash_body(rest: &str) -> bool {
    !rest.is_empty()
        && rest.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
}

/// `1234567890_abc123`: a decimal timestamp, then a lower-case alphanumeric suffix.
fn chitty_underscore_body(rest: &str) -> bool {
    rest.split_once('_').is_some_and(|(timestamp, suffix)| {
        !timestamp.is_empty()
            && timestamp.bytes().all(|b| b.is_ascii_digit())
            && !suffix.is_empty()
            && suffix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_example_is_named() {
        for (input, expected) in [
            ("03-1-USA-0001-P-2602-0-85", Format::Canonical),
            ("03-1-USA-0001-P-2602-0-84", Format::Canonical),
            ("03-1-USA-0001-P-251-3-79", Format::LegacyYearMonth),
            ("CT-A-CHI-1234-I-24-A-0", Format::ClientPattern),
            ("01-A-CHI-1234-I-2409-5-0", Format::DraftNumeric),
            ("CP-1-011-4821-P-2510-I-37", Format::PrefixTyped),
            ("CL-3-GBR-0001-L-2510-2-37", Format::PrefixTyped),
            ("CHITTY-INFO-123-ABC", Format::ChittyDash),
            ("CHITTY-PROP-000001-B2D893F2", Format::ChittyDash),
            ("chitty_1234567890_abc123", Format::ChittyUnderscore),
            ("01-C-PEO-0042-P-2510-3-23", Format::Authority2025),
            ("01-C-PEO-0042-P-2510-3-24", Format::Authority2025),
            ("00-1-ERR-5030-S-0000-0-0", Format::StatusPlaceholder),
            ("00-0-SYS-1111-H-1111-1-1", Format::ReservedPattern),
            ("00-0-ADM-1111-K-1111-1-1", Format::ReservedPattern),
            ("99-9-TST-0001-P-2602-0-85", Format::ReservedPattern),
        ] {
            assert_eq!(classify(input), expected, "{input}");
        }
    }

    #[test]
    fn malformed_inputs_are_unknown() {
        for input in [
            "",
            " ",
            "03-1-USA-0001-P-2602-0-8",
            "03-1-USA-0001-P-2602-0",
            "03-1-USA-0001-P-2602-0-85-1",
            "03-1-usa-0001-P-2602-0-85",
            "03-1-USA-0001-PP-2602-0-85",
            "CHITTY-",
            "CHITTY-info-1",
            "CHITTY-INFO--1",
            "chitty_",
            "chitty_123_",
            "chitty_abc_123",
            "XX-1-011-4821-P-2510-I-37",
            "03-1-ÜSA-0001-P-2602-0-85",
        ] {
            assert_eq!(classify(input), Format::Unknown, "{input:?}");
        }
        assert_eq!(classify(&"-".repeat(1 << 20)), Format::Unknown);
    }
}
