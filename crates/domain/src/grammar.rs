//! The grammar shared by the canonical form and the legacy year-month form: segment lengths,
//! character classes, ranges and the checksum. One implementation serves both so that they can
//! never disagree on anything but the length of `YYMM`.

use crate::components::{
    Checksum, EntityType, Jurisdiction, Region, Sequence, TrustLevel, Version,
};
use crate::error::{MAX_INPUT_LEN, ParseError, Segment};

/// Where the segments lie in a form whose only variable is the width of the year-month, and the
/// byte range every position admits. Built at compile time so that the hot path only reads
/// tables, in a loop the compiler turns into a few vector instructions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    year_month_len: usize,
    offsets: [usize; 8],
    total_len: usize,
    /// Position `i` admits bytes `low[i] ..= low[i] + span[i]`, eight positions to a word (see
    /// [`shape_matches`]); padding admits any ASCII byte.
    low: [u64; WORDS],
    /// `0x7f - span[i]` per byte.
    span_complement: [u64; WORDS],
}

/// Both layouts fit in four 8-byte words.
const WORDS: usize = 4;
const PADDED_LEN: usize = WORDS * 8;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
const LOW_BITS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

pub(crate) const CANONICAL: Layout = Layout::new(4);
pub(crate) const LEGACY: Layout = Layout::new(3);

/// The byte range a segment admits: `(low, span)`. The type letter's range is A-Z, narrowed to
/// P L T E A by [`accepts`].
const fn range_of(segment: Segment) -> (u8, u8) {
    match segment {
        Segment::Region => (b'1', 8),
        Segment::Jurisdiction | Segment::EntityType => (b'A', 25),
        Segment::TrustLevel => (b'0', 5),
        Segment::Version | Segment::Sequence | Segment::YearMonth | Segment::Checksum => (b'0', 9),
    }
}

const fn is_type_letter(byte: u8) -> bool {
    matches!(byte, b'P' | b'L' | b'T' | b'E' | b'A')
}

impl Layout {
    const fn new(year_month_len: usize) -> Self {
        let mut layout = Self {
            year_month_len,
            offsets: [0; 8],
            total_len: 0,
            low: [0; WORDS],
            span_complement: [0; WORDS],
        };
        let mut low = [0u8; PADDED_LEN];
        let mut span = [0x7fu8; PADDED_LEN];
        let mut offset = 0;
        let mut index = 0;
        while index < Segment::ALL.len() {
            let segment = Segment::ALL[index];
            if index > 0 {
                low[offset - 1] = b'-';
                span[offset - 1] = 0;
            }
            layout.offsets[index] = offset;
            let (segment_low, segment_span) = range_of(segment);
            let mut i = 0;
            while i < layout.segment_len(segment) {
                low[offset + i] = segment_low;
                span[offset + i] = segment_span;
                i += 1;
            }
            offset += layout.segment_len(segment) + 1;
            index += 1;
        }
        layout.total_len = offset - 1;
        let mut word = 0;
        while word < WORDS {
            let mut byte = 0;
            while byte < 8 {
                let at = word * 8 + byte;
                layout.low[word] |= (low[at] as u64) << (8 * byte);
                layout.span_complement[word] |= ((0x7f - span[at]) as u64) << (8 * byte);
                byte += 1;
            }
            word += 1;
        }
        layout
    }

    pub(crate) const fn segment_len(self, segment: Segment) -> usize {
        match segment {
            Segment::Version | Segment::Checksum => 2,
            Segment::Region | Segment::EntityType | Segment::TrustLevel => 1,
            Segment::Jurisdiction => 3,
            Segment::Sequence => 4,
            Segment::YearMonth => self.year_month_len,
        }
    }

    /// Byte offset of the segment's first character.
    pub(crate) const fn offset(self, segment: Segment) -> usize {
        self.offsets[segment as usize]
    }

    pub(crate) const fn total_len(self) -> usize {
        self.total_len
    }
}

/// What a segment's characters may be, described for error messages.
const fn expected_character(segment: Segment) -> &'static str {
    match segment {
        Segment::Region => "a digit 1-9",
        Segment::Jurisdiction => "an upper-case letter A-Z",
        Segment::EntityType => "one of P, L, T, E, A",
        Segment::TrustLevel => "a digit 0-5",
        Segment::Version | Segment::Sequence | Segment::YearMonth | Segment::Checksum => {
            "a digit 0-9"
        }
    }
}

#[inline]
pub(crate) const fn accepts(segment: Segment, byte: u8) -> bool {
    let (low, span) = range_of(segment);
    let in_range = byte.wrapping_sub(low) <= span;
    match segment {
        Segment::EntityType => in_range && is_type_letter(byte),
        _ => in_range,
    }
}

/// Checks lengths, separators and character classes. The loop over bytes is the fast path; only
/// when it fails does [`diagnose`] walk the input again to say exactly what is wrong.
#[inline(always)]
pub(crate) fn check_shape(input: &str, layout: Layout) -> Result<(), ParseError> {
    let bytes = input.as_bytes();
    if bytes.len() == layout.total_len() && shape_matches(bytes, layout) {
        Ok(())
    } else {
        Err(diagnose(input, layout))
    }
}

/// Requires `bytes.len() == layout.total_len()`. Checks eight bytes at a time with no branch
/// per byte (SWAR). For an ASCII byte `b` (every admitted byte is ASCII):
/// `d = (b | 0x80) - low` never borrows from its neighbour and has its high bit set iff
/// `b >= low`; then `(d & 0x7f) + (0x7f - span)` has its high bit set iff `b - low > span`.
#[inline(always)]
pub(crate) fn shape_matches(bytes: &[u8], layout: Layout) -> bool {
    let mut padded = [0u8; PADDED_LEN];
    padded[..bytes.len()].copy_from_slice(bytes);
    let mut faults = 0;
    for word in 0..WORDS {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(&padded[word * 8..word * 8 + 8]);
        let b = u64::from_le_bytes(chunk);
        let d = (b | HIGH_BITS).wrapping_sub(layout.low[word]);
        let above_span = (d & LOW_BITS) + layout.span_complement[word];
        faults |= (b & HIGH_BITS) | (!d & HIGH_BITS) | (above_span & HIGH_BITS);
    }
    faults == 0 && is_type_letter(bytes[layout.offset(Segment::EntityType)])
}

/// Kept out of line: the error path should not bloat the inlined fast path.
#[cold]
#[inline(never)]
fn diagnose(input: &str, layout: Layout) -> ParseError {
    if input.is_empty() {
        return ParseError::Empty;
    }
    if input.len() > MAX_INPUT_LEN {
        return ParseError::TooLong {
            length: input.len(),
        };
    }
    let found = input.split('-').count();
    if found != Segment::ALL.len() {
        return ParseError::SegmentCount {
            expected: Segment::ALL.len(),
            found,
        };
    }
    let mut position = 1;
    for (segment, text) in Segment::ALL.into_iter().zip(input.split('-')) {
        let expected = layout.segment_len(segment);
        let length = text.chars().count();
        if length != expected {
            return ParseError::SegmentLength {
                segment,
                position,
                expected,
                found: length,
            };
        }
        for (index, character) in text.chars().enumerate() {
            let ok = u8::try_from(character).is_ok_and(|b| accepts(segment, b));
            if !ok {
                return ParseError::InvalidCharacter {
                    segment,
                    position: position + index,
                    expected: expected_character(segment),
                    found: character,
                };
            }
        }
        position += length + 1;
    }
    unreachable!("diagnose is only called on input whose shape does not match")
}

/// The typed segments of an input that passed [`check_shape`] and [`verify`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decoded {
    pub(crate) version: Version,
    pub(crate) region: Region,
    pub(crate) jurisdiction: Jurisdiction,
    pub(crate) sequence: Sequence,
    pub(crate) entity_type: EntityType,
    /// The year-month digits as a number: `2602` canonical, `251` legacy.
    pub(crate) year_month: u16,
    pub(crate) trust_level: TrustLevel,
    pub(crate) checksum: Checksum,
}

#[inline(always)]
fn number(bytes: &[u8]) -> u16 {
    bytes
        .iter()
        .fold(0, |acc, &b| acc * 10 + u16::from(b - b'0'))
}

#[inline(always)]
fn field(bytes: &[u8], layout: Layout, segment: Segment) -> &[u8] {
    let start = layout.offset(segment);
    &bytes[start..start + layout.segment_len(segment)]
}

/// Range checks and the checksum. Requires [`check_shape`] to have passed. `month_ok` is the
/// year-month rule of the layout.
#[inline(always)]
pub(crate) fn verify(
    bytes: &[u8],
    layout: Layout,
    month_ok: impl Fn(u16) -> bool,
) -> Result<(), ParseError> {
    let out_of_range = |segment: Segment, expected, found| ParseError::OutOfRange {
        segment,
        position: layout.offset(segment) + 1,
        expected,
        found,
    };
    let version = number(field(bytes, layout, Segment::Version));
    if !(1..=5).contains(&version) {
        return Err(out_of_range(Segment::Version, "01-05", version));
    }
    let year_month = number(field(bytes, layout, Segment::YearMonth));
    if !month_ok(year_month) {
        return Err(out_of_range(
            Segment::YearMonth,
            "a month 01-12",
            year_month,
        ));
    }
    let stated = number(field(bytes, layout, Segment::Checksum));
    if stated > u16::from(Checksum::MAX) {
        return Err(out_of_range(Segment::Checksum, "00-96", stated));
    }
    let expected = checksum_of_fields(bytes, layout, version, year_month);
    if u16::from(expected.value()) != stated {
        return Err(ParseError::ChecksumMismatch {
            position: layout.offset(Segment::Checksum) + 1,
            expected,
            found: stated as u8,
        });
    }
    Ok(())
}

/// Requires [`check_shape`] and [`verify`] to have passed.
#[inline(always)]
pub(crate) fn decode(bytes: &[u8], layout: Layout) -> Decoded {
    let field = |segment| field(bytes, layout, segment);
    let digit = |segment| field(segment)[0] - b'0';
    let [j0, j1, j2] = [0, 1, 2].map(|i| field(Segment::Jurisdiction)[i]);
    Decoded {
        version: Version::try_new(number(field(Segment::Version)) as u8)
            .expect("verify checked the version"),
        region: Region::try_new(digit(Segment::Region)).expect("shape admits only 1-9"),
        jurisdiction: Jurisdiction::from_checked([j0, j1, j2]),
        sequence: Sequence::try_new(u32::from(number(field(Segment::Sequence))))
            .expect("four digits are at most 9999"),
        entity_type: EntityType::try_from_letter(char::from(field(Segment::EntityType)[0]))
            .expect("shape admits only P L T E A"),
        year_month: number(field(Segment::YearMonth)),
        trust_level: TrustLevel::try_new(digit(Segment::TrustLevel))
            .expect("shape admits only 0-5"),
        checksum: Checksum::try_new(number(field(Segment::Checksum)) as u8)
            .expect("verify checked the checksum"),
    }
}

/// The checksum from the already-decoded numbers: the format's digit-by-digit remainder, computed
/// with two `%` instead of one per character (19 decimal digits fit in a u64).
#[inline(always)]
fn checksum_of_fields(bytes: &[u8], layout: Layout, version: u16, year_month: u16) -> Checksum {
    let at = |segment: Segment| bytes[layout.offset(segment)];
    let letter = |b: u8| u64::from(b - b'A' + 10);
    let jurisdiction = layout.offset(Segment::Jurisdiction);
    let mut acc = u64::from(version) * 10 + u64::from(at(Segment::Region) - b'0');
    for &b in &bytes[jurisdiction..jurisdiction + 3] {
        acc = acc * 100 + letter(b);
    }
    let sequence = layout.offset(Segment::Sequence);
    acc = acc * 10_000 + u64::from(number(&bytes[sequence..sequence + 4]));
    acc = acc * 100 + letter(at(Segment::EntityType));
    acc = acc * 10u64.pow(layout.year_month_len as u32) + u64::from(year_month);
    acc = (acc % 97) * 10 + u64::from(at(Segment::TrustLevel) - b'0');
    Checksum::from_checked(((98 - acc % 97) % 97) as u8)
}

/// The checksum of the first seven segments as docs/format.md defines it (hyphens ignored): digits
/// extend the running remainder by one decimal place, letters (A=10 … Z=35) by two.
///
/// Returns `None` if `body` holds anything but digits, upper-case letters and hyphens.
pub fn compute_checksum(body: &str) -> Option<Checksum> {
    body.bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'-')
        .then(|| checksum_of_checked(body.as_bytes()))
}

/// Requires digits, upper-case letters and hyphens only.
#[inline]
pub(crate) fn checksum_of_checked(body: &[u8]) -> Checksum {
    // The remainder is only reduced when the accumulator could overflow on the next step: at
    // most three `%` per ID instead of one per character.
    const REDUCE_ABOVE: u64 = 1 << 56;
    let mut acc: u64 = 0;
    for &b in body {
        acc = match b {
            b'0'..=b'9' => acc * 10 + u64::from(b - b'0'),
            b'A'..=b'Z' => acc * 100 + u64::from(b - b'A' + 10),
            _ => continue,
        };
        if acc >= REDUCE_ABOVE {
            acc %= 97;
        }
    }
    Checksum::from_checked(((98 - acc % 97) % 97) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_put_segments_where_the_spec_does() {
        assert_eq!(CANONICAL.total_len(), 25);
        assert_eq!(LEGACY.total_len(), 24);
        assert_eq!(CANONICAL.offset(Segment::YearMonth), 16);
        assert_eq!(CANONICAL.offset(Segment::Checksum), 23);
        assert_eq!(LEGACY.offset(Segment::Checksum), 22);
    }

    /// The word-at-a-time check agrees with the per-byte rule for every byte at every position.
    #[test]
    fn shape_check_agrees_with_accepts_for_every_byte() {
        for (layout, template) in [
            (CANONICAL, "03-1-USA-0001-P-2602-0-85"),
            (LEGACY, "03-1-USA-0001-P-251-3-79"),
        ] {
            assert!(shape_matches(template.as_bytes(), layout));
            for position in 0..layout.total_len() {
                let segment = Segment::ALL
                    .into_iter()
                    .rev()
                    .find(|s| layout.offset(*s) <= position)
                    .expect("position 0 is in the version");
                let in_segment = position < layout.offset(segment) + layout.segment_len(segment);
                for byte in 0..=u8::MAX {
                    let mut bytes = template.as_bytes().to_vec();
                    bytes[position] = byte;
                    let expected = if in_segment {
                        accepts(segment, byte)
                    } else {
                        byte == b'-'
                    };
                    assert_eq!(
                        shape_matches(&bytes, layout),
                        expected,
                        "position {position}, byte {byte:#04x}"
                    );
                }
            }
        }
    }

    #[test]
    fn checksum_matches_the_spec_vectors() {
        for (body, expected) in [
            ("03-1-USA-0001-P-2602-0", 85),
            ("03-4-JPN-0420-L-2511-5", 34),
            ("03-2-BRA-9999-A-2601-1", 95),
            ("03-9-DEU-0000-E-2612-4", 66),
            ("03-6-AUS-3141-T-2509-2", 59),
            ("03-1-CAN-0777-P-2701-3", 10),
            ("03-1-USA-0001-P-251-3", 79),
        ] {
            assert_eq!(
                compute_checksum(body).map(Checksum::value),
                Some(expected),
                "{body}"
            );
        }
    }

    #[test]
    fn checksum_refuses_characters_outside_the_alphabet() {
        assert_eq!(compute_checksum("03-1-usa"), None);
        assert_eq!(compute_checksum("03 1"), None);
        assert_eq!(compute_checksum("0é"), None);
    }

    #[test]
    fn checksum_of_long_input_reduces_without_overflow() {
        // Reference: reduce after every character, as docs/format.md describes it.
        let body = "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ99999999999999999999999999999";
        let mut c = 0u64;
        for b in body.bytes() {
            c = if b.is_ascii_digit() {
                (c * 10 + u64::from(b - b'0')) % 97
            } else {
                (c * 100 + u64::from(b - b'A' + 10)) % 97
            };
        }
        let reference = ((98 - c) % 97) as u8;
        assert_eq!(compute_checksum(body).map(Checksum::value), Some(reference));
    }
}
