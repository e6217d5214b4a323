//! Validation as callers want it: canonical IDs pass; every other input fails with the name of
//! its shape or the exact fault, and legacy forms pass only when asked for.

use std::fmt;

use crate::authority2025::Authority2025Id;
use crate::chitty_id::ChittyId;
use crate::error::{ParseError, Segment};
use crate::format::{Format, classify};
use crate::legacy::LegacyChittyId;
use crate::placeholder::{ReservedPattern, StatusPlaceholder};

/// Choices a caller makes about what counts as valid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValidationOptions {
    /// Accept the legacy forms when their checksum holds: the year-month form (`YYM`) and the
    /// authority's 2025 form.
    pub accept_legacy: bool,
}

/// An input that passed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidId {
    Canonical(ChittyId),
    /// Only with [`ValidationOptions::accept_legacy`].
    Legacy(LegacyChittyId),
    /// Only with [`ValidationOptions::accept_legacy`].
    Authority2025(Authority2025Id),
}

impl ValidId {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Canonical(id) => id.as_str(),
            Self::Legacy(id) => id.as_str(),
            Self::Authority2025(id) => id.as_str(),
        }
    }

    pub fn format(&self) -> Format {
        match self {
            Self::Canonical(_) => Format::Canonical,
            Self::Legacy(_) => Format::LegacyYearMonth,
            Self::Authority2025(_) => Format::Authority2025,
        }
    }
}

/// Why an input failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A shape the format document names, but not the canonical one.
    #[error("not a canonical ChittyID: this is {}", format.explanation())]
    NonCanonical { format: Format },
    /// A legacy form whose checksum holds, without legacy forms asked for.
    #[error("{} is not accepted; ask for legacy forms to accept it", legacy_name(*format))]
    LegacyNotAccepted { format: Format },
    #[error(
        "not an ID: a {placeholder}, which a client returns in place of an ID when the service is down"
    )]
    StatusPlaceholder { placeholder: StatusPlaceholder },
    #[error("not an ID: {pattern}, which a client treats as a command or a test mock")]
    ReservedPattern { pattern: ReservedPattern },
    #[error(transparent)]
    Malformed(#[from] ParseError),
}

impl ValidationError {
    /// Machine-readable code, stable across releases.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NonCanonical { .. } => "non_canonical_format",
            Self::LegacyNotAccepted { .. } => "legacy_not_accepted",
            Self::StatusPlaceholder { .. } => "status_placeholder",
            Self::ReservedPattern { .. } => "reserved_pattern",
            Self::Malformed(err) => err.code(),
        }
    }

    pub const fn segment(&self) -> Option<Segment> {
        match self {
            Self::Malformed(err) => err.segment(),
            _ => None,
        }
    }

    pub const fn position(&self) -> Option<usize> {
        match self {
            Self::Malformed(err) => err.position(),
            _ => None,
        }
    }
}

/// Validates `input`. Canonical input takes the fast path and never classifies.
pub fn validate(input: &str, options: ValidationOptions) -> Result<ValidId, ValidationError> {
    let canonical_error = match ChittyId::parse(input) {
        Ok(id) => return Ok(ValidId::Canonical(id)),
        Err(err) => err,
    };
    match classify(input) {
        Format::Canonical | Format::Unknown => Err(canonical_error.into()),
        Format::LegacyYearMonth if options.accept_legacy => LegacyChittyId::parse(input)
            .map(ValidId::Legacy)
            .map_err(ValidationError::from),
        Format::LegacyYearMonth => Err(ValidationError::LegacyNotAccepted {
            format: Format::LegacyYearMonth,
        }),
        // Its checksum is checked either way, so that a report says whether it holds.
        Format::Authority2025 => match Authority2025Id::parse(input) {
            Ok(id) if options.accept_legacy => Ok(ValidId::Authority2025(id)),
            Ok(_) => Err(ValidationError::LegacyNotAccepted {
                format: Format::Authority2025,
            }),
            Err(err) => Err(err.into()),
        },
        Format::StatusPlaceholder => match StatusPlaceholder::parse(input) {
            Some(placeholder) => Err(ValidationError::StatusPlaceholder { placeholder }),
            None => Err(canonical_error.into()),
        },
        Format::ReservedPattern => match ReservedPattern::of(input) {
            Some(pattern) => Err(ValidationError::ReservedPattern { pattern }),
            None => Err(canonical_error.into()),
        },
        format => Err(ValidationError::NonCanonical { format }),
    }
}

fn legacy_name(format: Format) -> &'static str {
    match format {
        Format::Authority2025 => "the authority's 2025 form (letter region, entity prefix)",
        _ => "the legacy year-month form (3-digit YYM)",
    }
}

/// True when `input` is a canonical ChittyID.
pub fn is_chitty_id(input: &str) -> bool {
    ChittyId::parse(input).is_ok()
}

/// The entity type letter of a canonical ChittyID, or `None` for anything else.
pub fn entity_type_letter(input: &str) -> Option<char> {
    ChittyId::parse(input)
        .ok()
        .map(|id| id.entity_type().letter())
}

impl fmt::Display for ValidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: ValidationOptions = ValidationOptions {
        accept_legacy: false,
    };
    const LEGACY: ValidationOptions = ValidationOptions {
        accept_legacy: true,
    };

    #[test]
    fn canonical_ids_pass_with_either_option() {
        for options in [STRICT, LEGACY] {
            let valid = validate("03-1-USA-0001-P-2602-0-85", options).expect("valid");
            assert_eq!(valid.format(), Format::Canonical);
        }
    }

    #[test]
    fn legacy_ids_pass_only_when_asked_for() {
        let input = "03-1-USA-0001-P-251-3-79";
        assert_eq!(
            validate(input, STRICT),
            Err(ValidationError::LegacyNotAccepted {
                format: Format::LegacyYearMonth
            })
        );
        assert_eq!(
            validate(input, LEGACY).map(|v| v.format()),
            Ok(Format::LegacyYearMonth)
        );
        assert!(matches!(
            validate("03-1-USA-0001-P-251-3-78", LEGACY),
            Err(ValidationError::Malformed(
                ParseError::ChecksumMismatch { .. }
            ))
        ));
    }

    #[test]
    fn named_shapes_fail_with_their_name() {
        for (input, format) in [
            ("CT-A-CHI-1234-I-24-A-0", Format::ClientPattern),
            ("01-A-CHI-1234-I-2409-5-0", Format::DraftNumeric),
            ("CP-1-011-4821-P-2510-I-37", Format::PrefixTyped),
            ("CHITTY-INFO-123-ABC", Format::ChittyDash),
            ("chitty_1234567890_abc123", Format::ChittyUnderscore),
        ] {
            let err = validate(input, LEGACY).expect_err("not canonical");
            assert_eq!(err, ValidationError::NonCanonical { format }, "{input}");
            assert_eq!(err.code(), "non_canonical_format");
            assert!(err.to_string().contains(format.explanation()));
        }
    }

    #[test]
    fn canonical_shapes_with_faults_report_the_fault() {
        let err = validate("03-1-USA-0001-P-2602-0-84", STRICT).expect_err("checksum");
        assert_eq!(err.code(), "checksum_mismatch");
        assert_eq!(err.segment(), Some(Segment::Checksum));
        assert_eq!(err.position(), Some(24));
    }

    #[test]
    fn utilities_answer_for_canonical_ids_only() {
        assert!(is_chitty_id("03-1-USA-0001-P-2602-0-85"));
        assert!(!is_chitty_id("03-1-USA-0001-P-251-3-79"));
        assert!(!is_chitty_id("CT-A-CHI-1234-I-24-A-0"));
        assert_eq!(entity_type_letter("03-4-JPN-0420-L-2511-5-34"), Some('L'));
        assert_eq!(entity_type_letter("03-4-JPN-0420-L-2511-5-35"), None);
        assert_eq!(entity_type_letter("chitty_1234567890_abc123"), None);
    }
}
