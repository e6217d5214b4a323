//! The authority's 2025 form, `01-C-PEO-0042-P-2510-3-23`: what the authority minted before the
//! numeric region. VV is `01`, G a letter, LLL the first three letters of the entity name the
//! caller sent (`INF` for INFO), T its first letter, then the sequence, year-month, one digit
//! and the same mod-97 checksum as the canonical form (letters count 10-35).
//!
//! What its checksum guarantees differs from the canonical form's, because G is a letter: see
//! [`Authority2025Id`] and the exhaustive tests in `tests/format/checksum_guarantees.rs`.

use std::fmt;

use crate::components::Checksum;
use crate::error::{ParseError, Segment};
use crate::grammar::compute_checksum;

const LEN: usize = 25;

/// Segment lengths of the form, in order.
const LENGTHS: [usize; 8] = [2, 1, 3, 4, 1, 4, 1, 2];

/// A 2025-form ID whose checksum holds and whose entity letter is the first of its prefix.
///
/// Its checksum catches every single-character substitution and every swap of two adjacent
/// characters that keep the 2025 grammar, as the canonical one does. It does not tell this form
/// from the canonical one: with VV `01`, replacing the region letter of value `v` (A=10 … Z=35)
/// by the digit `v - 7` (A↔3, B↔4, C↔5, D↔6, E↔7, F↔8, G↔9) keeps the checksum, and gives an
/// ID of canonical shape (`01-C-PEO-0042-P-2510-3-23` and `01-5-PEO-0042-P-2510-3-23` share
/// `23`). Both directions are tested exhaustively.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Authority2025Id {
    text: [u8; LEN],
}

impl Authority2025Id {
    pub const LEN: usize = LEN;

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let bytes = shape(input)?;
        let position = |index: usize| offset(index) + 1;
        if &bytes[..2] != b"01" {
            return Err(ParseError::OutOfRange {
                segment: Segment::Version,
                position: 1,
                expected: "01",
                found: number(&bytes[..2]),
            });
        }
        if bytes[offset(4)] != bytes[offset(2)] {
            return Err(ParseError::InvalidCharacter {
                segment: Segment::EntityType,
                position: position(4),
                expected: "the first letter of the entity prefix (LLL)",
                found: char::from(bytes[offset(4)]),
            });
        }
        let month = number(&bytes[offset(5) + 2..offset(5) + 4]);
        if !(1..=12).contains(&month) {
            return Err(ParseError::OutOfRange {
                segment: Segment::YearMonth,
                position: position(5),
                expected: "a month 01-12",
                found: number(&bytes[offset(5)..offset(5) + 4]),
            });
        }
        let stated = number(&bytes[offset(7)..]);
        if stated > u16::from(Checksum::MAX) {
            return Err(ParseError::OutOfRange {
                segment: Segment::Checksum,
                position: position(7),
                expected: "00-96",
                found: stated,
            });
        }
        let expected = checksum_of(&bytes);
        if u16::from(expected.value()) != stated {
            return Err(ParseError::ChecksumMismatch {
                position: position(7),
                expected,
                found: stated as u8,
            });
        }
        Ok(Self { text: bytes })
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text).expect("an Authority2025Id holds ASCII only")
    }

    /// The region letter (`C` in the example).
    pub fn region_letter(&self) -> char {
        char::from(self.text[offset(1)])
    }

    /// The first three letters of the entity name the caller sent (`PEO`, `INF`, …).
    pub fn entity_prefix(&self) -> &str {
        &self.as_str()[offset(2)..offset(2) + 3]
    }

    pub fn sequence(&self) -> u16 {
        number(&self.text[offset(3)..offset(3) + 4])
    }

    pub fn year(&self) -> u16 {
        2000 + number(&self.text[offset(5)..offset(5) + 2])
    }

    pub fn month(&self) -> u8 {
        number(&self.text[offset(5) + 2..offset(5) + 4]) as u8
    }

    /// The digit before the checksum.
    pub fn trust_digit(&self) -> u8 {
        self.text[offset(6)] - b'0'
    }

    pub fn checksum(&self) -> Checksum {
        Checksum::try_new(number(&self.text[offset(7)..]) as u8).expect("parse checked it")
    }
}

/// Byte offset of segment `index`.
const fn offset(index: usize) -> usize {
    let mut at = 0;
    let mut i = 0;
    while i < index {
        at += LENGTHS[i] + 1;
        i += 1;
    }
    at
}

fn number(digits: &[u8]) -> u16 {
    digits
        .iter()
        .fold(0, |n, d| n * 10 + u16::from(d.wrapping_sub(b'0')))
}

/// Whether byte `b` may stand in segment `index` of the form.
pub(crate) fn admits(index: usize, b: u8) -> bool {
    match index {
        1 | 2 | 4 => b.is_ascii_uppercase(),
        _ => b.is_ascii_digit(),
    }
}

fn shape(input: &str) -> Result<[u8; LEN], ParseError> {
    let segments =
        crate::format::eight_segments(input).ok_or_else(|| ParseError::SegmentCount {
            expected: LENGTHS.len(),
            found: input.split('-').count(),
        })?;
    for (index, (segment, length)) in segments.iter().zip(LENGTHS).enumerate() {
        if segment.len() != length {
            return Err(ParseError::SegmentLength {
                segment: Segment::ALL[index],
                position: offset(index) + 1,
                expected: length,
                found: segment.chars().count(),
            });
        }
        if let Some((at, found)) = segment
            .char_indices()
            .find(|(_, c)| !c.is_ascii() || !admits(index, *c as u8))
        {
            return Err(ParseError::InvalidCharacter {
                segment: Segment::ALL[index],
                position: offset(index) + at + 1,
                expected: if admits(index, b'A') {
                    "an upper-case letter A-Z"
                } else {
                    "a digit 0-9"
                },
                found,
            });
        }
    }
    let mut text = [0; LEN];
    text.copy_from_slice(input.as_bytes());
    Ok(text)
}

/// The mod-97 checksum of the first seven segments.
fn checksum_of(bytes: &[u8; LEN]) -> Checksum {
    let body = std::str::from_utf8(&bytes[..offset(7) - 1]).expect("ASCII");
    compute_checksum(body).expect("the shape admits digits, letters and hyphens only")
}

/// The single 2025-form ID one substitution or one swap of adjacent characters (hyphens
/// ignored) away from `input`, when there is exactly one, as for canonical IDs: a character
/// that its slot cannot hold must be the one replaced (or one of the two swapped).
pub(crate) fn suggest_2025(input: &str) -> Option<Authority2025Id> {
    let bytes = input.as_bytes();
    if bytes.len() != LEN || !input.is_ascii() || !input.starts_with("01-") {
        return None;
    }
    if Authority2025Id::parse(input).is_ok() {
        return None;
    }
    // (segment index, byte offset) of every data slot, and where the hyphens are.
    let slots: Vec<(usize, usize)> = (0..LENGTHS.len())
        .flat_map(|index| (0..LENGTHS[index]).map(move |i| (index, offset(index) + i)))
        .collect();
    if (1..LENGTHS.len()).any(|index| bytes[offset(index) - 1] != b'-') {
        return None;
    }
    let misfits: Vec<usize> = slots
        .iter()
        .filter(|(index, at)| !admits(*index, bytes[*at]))
        .map(|(_, at)| *at)
        .collect();
    if misfits.len() > 2 {
        return None;
    }
    let mut text = [0u8; LEN];
    text.copy_from_slice(bytes);
    let mut found: Option<Authority2025Id> = None;
    let mut consider = |candidate: &[u8; LEN]| -> Option<()> {
        let text = std::str::from_utf8(candidate).ok()?;
        if let Ok(id) = Authority2025Id::parse(text) {
            match found {
                Some(seen) if seen != id => return None,
                _ => found = Some(id),
            }
        }
        Some(())
    };
    let mut candidate = text;
    for &(index, at) in &slots {
        let allowed = match misfits.as_slice() {
            [] => true,
            [only] => *only == at,
            _ => false,
        };
        if !allowed {
            continue;
        }
        for replacement in (b'0'..=b'9').chain(b'A'..=b'Z') {
            if replacement != text[at] && admits(index, replacement) {
                candidate[at] = replacement;
                consider(&candidate)?;
            }
        }
        candidate[at] = text[at];
    }
    for pair in slots.windows(2) {
        let ((_, a), (_, b)) = (pair[0], pair[1]);
        let touches_every_misfit = misfits.iter().all(|m| *m == a || *m == b);
        if text[a] != text[b] && touches_every_misfit {
            candidate.swap(a, b);
            let outcome = consider(&candidate);
            candidate.swap(a, b);
            outcome?;
        }
    }
    found
}

impl fmt::Debug for Authority2025Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Authority2025Id({})", self.as_str())
    }
}

impl fmt::Display for Authority2025Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example_parses_and_decodes() {
        let id = Authority2025Id::parse("01-C-PEO-0042-P-2510-3-23").expect("the example");
        assert_eq!(id.region_letter(), 'C');
        assert_eq!(id.entity_prefix(), "PEO");
        assert_eq!((id.sequence(), id.year(), id.month()), (42, 2025, 10));
        assert_eq!((id.trust_digit(), id.checksum().value()), (3, 23));
    }

    #[test]
    fn faults_are_named() {
        for (input, code) in [
            ("01-C-PEO-0042-P-2510-3-24", "checksum_mismatch"),
            ("01-C-PEO-0042-L-2510-3-23", "invalid_character"),
            ("01-C-PEO-0042-P-2513-3-23", "out_of_range"),
            ("02-C-PEO-0042-P-2510-3-23", "out_of_range"),
            ("01-C-PEO-0042-P-2510-3", "segment_count"),
            ("01-C-PE0-0042-P-2510-3-23", "invalid_character"),
        ] {
            let err = Authority2025Id::parse(input).expect_err(input);
            assert_eq!(err.code(), code, "{input}: {err}");
        }
    }

    #[test]
    fn a_typo_that_leaves_a_character_out_of_place_is_corrected() {
        for typo in [
            // A letter O for the digit 0.
            "01-C-PEO-0O42-P-2510-3-23",
            // The last sequence digit and the type letter swapped.
            "01-C-PEO-004P-2-2510-3-23",
        ] {
            assert_eq!(
                suggest_2025(typo).map(|id| id.to_string()),
                Some("01-C-PEO-0042-P-2510-3-23".to_owned()),
                "{typo}"
            );
        }
        assert_eq!(suggest_2025("01-C-PEO-0042-P-2510-3-23"), None);
        assert_eq!(suggest_2025("03-1-USA-0001-P-2602-0-85"), None);
    }
}
