//! The canonical fast path: verifies a 25-byte candidate with word-at-a-time arithmetic and no
//! branch per character. It only ever says "valid"; every other verdict, and every error
//! message, comes from the general path in [`crate::grammar`], which it must agree with (tested
//! below and by the crate's property tests).

use crate::chitty_id::ChittyId;
use crate::grammar::{self, CANONICAL};

/// Four ASCII digits, first in the lowest byte, to their value (SWAR): pairs first, then the
/// two pairs. Requires four digits.
#[inline(always)]
fn four_digits(ascii: u32) -> u64 {
    let digits = ascii.wrapping_sub(0x3030_3030);
    let pairs = (digits.wrapping_mul(10).wrapping_add(digits >> 8)) & 0x00ff_00ff;
    u64::from((pairs.wrapping_mul(1 + (100 << 16)) >> 16) & 0xffff)
}

/// True iff `bytes` is a canonical ChittyID.
#[inline(always)]
pub(crate) fn is_valid_canonical(bytes: &[u8; ChittyId::LEN]) -> bool {
    if !grammar::shape_matches(bytes, CANONICAL) {
        return false;
    }
    // "VV-G-LLL" "-SSSS-T-" "YYMM-C-X" "X"
    let word = |at: usize| {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(chunk)
    };
    let (head, middle, tail) = (word(0), word(8), word(16));
    let byte = |word: u64, index: u32| (word >> (8 * index)) as u8;
    let digit = |word, index| u64::from(byte(word, index) - b'0');
    let letter = |word, index| u64::from(byte(word, index) - (b'A' - 10));

    let version = digit(head, 0) * 10 + digit(head, 1);
    let month = digit(tail, 2) * 10 + digit(tail, 3);
    let stated = digit(tail, 7) * 10 + u64::from(bytes[24] - b'0');
    // The format's remainder, reduced twice: the first 19 decimal digits fit in a u64.
    let mut acc = version * 10 + digit(head, 3);
    acc = ((acc * 100 + letter(head, 5)) * 100 + letter(head, 6)) * 100 + letter(head, 7);
    acc = acc * 10_000 + four_digits((middle >> 8) as u32);
    acc = acc * 100 + letter(middle, 6);
    acc = acc * 10_000 + four_digits(tail as u32);
    acc = (acc % 97) * 10 + digit(tail, 5);
    let expected = (98 - acc % 97) % 97;
    (1..=5).contains(&version) & (1..=12).contains(&month) & (expected == stated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn general_path_accepts(input: &str) -> bool {
        grammar::check_shape(input, CANONICAL).is_ok()
            && grammar::verify(input.as_bytes(), CANONICAL, |ym| {
                (1..=12).contains(&(ym % 100))
            })
            .is_ok()
    }

    fn fast_path_accepts(input: &str) -> bool {
        <&[u8; ChittyId::LEN]>::try_from(input.as_bytes()).is_ok_and(is_valid_canonical)
    }

    #[test]
    fn four_digits_reads_every_value() {
        for value in 0..10_000u32 {
            let text = format!("{value:04}");
            let ascii = u32::from_le_bytes(text.as_bytes().try_into().expect("four bytes"));
            assert_eq!(four_digits(ascii), u64::from(value));
        }
    }

    #[test]
    fn agrees_with_the_general_path_on_the_spec_examples() {
        for input in [
            "03-1-USA-0001-P-2602-0-85",
            "03-1-USA-0001-P-2602-0-84",
            "03-1-USA-0001-P-2600-0-85",
            "07-1-USA-0001-P-2602-0-85",
            "03-2-BRA-9999-A-2601-1-95",
            "03-9-DEU-0000-E-2612-4-66",
            "03-1-USA-0001-P-2602-0-99",
        ] {
            assert_eq!(
                fast_path_accepts(input),
                general_path_accepts(input),
                "{input}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn agrees_with_the_general_path_on_id_like_input(
            input in "[0-9]{2}-[0-9]-[A-Z]{3}-[0-9]{4}-[PLTEAX]-[0-9]{2}[01][0-9]-[0-6]-[0-9]{2}"
        ) {
            prop_assert_eq!(fast_path_accepts(&input), general_path_accepts(&input));
        }

        #[test]
        fn agrees_with_the_general_path_on_near_misses(
            (_, missed) in crate::strategies::near_miss_of_id()
        ) {
            prop_assert_eq!(fast_path_accepts(&missed), general_path_accepts(&missed));
        }

        #[test]
        fn accepts_every_generated_id(id in crate::strategies::chitty_id()) {
            prop_assert!(fast_path_accepts(id.as_str()));
        }
    }
}
