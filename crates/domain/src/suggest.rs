//! "Did you mean …?": the canonical ID one typo away from the input, when there is exactly one.

use crate::chitty_id::ChittyId;
use crate::error::{MAX_INPUT_LEN, Segment};
use crate::fast;
use crate::grammar::{self, CANONICAL};

/// Every position of the canonical layout with the segment it belongs to (`None` for hyphens).
const SLOTS: [Option<Segment>; ChittyId::LEN] = {
    let mut slots = [None; ChittyId::LEN];
    let mut index = 0;
    while index < Segment::ALL.len() {
        let segment = Segment::ALL[index];
        let start = CANONICAL.offset(segment);
        let mut i = 0;
        while i < CANONICAL.segment_len(segment) {
            slots[start + i] = Some(segment);
            i += 1;
        }
        index += 1;
    }
    slots
};

/// The positions that hold data (not hyphens), in order: transpositions swap neighbours here.
const DATA_SLOTS: [usize; 18] = {
    let mut slots = [0; 18];
    let mut count = 0;
    let mut slot = 0;
    while slot < ChittyId::LEN {
        if SLOTS[slot].is_some() {
            slots[count] = slot;
            count += 1;
        }
        slot += 1;
    }
    slots
};

const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn slot_accepts(slot: usize, byte: u8) -> bool {
    match SLOTS[slot] {
        Some(segment) => grammar::accepts(segment, byte),
        None => byte == b'-',
    }
}

/// The single canonical ChittyID reachable from `input` by one character substitution or one
/// swap of two adjacent characters (hyphens ignored), or `None` when there is no such ID, when
/// there are two or more (a guess would be a coin toss), or when `input` is already valid.
///
/// Costs at most a few hundred checksum evaluations, and nothing for input of the wrong length.
pub fn suggest(input: &str) -> Option<ChittyId> {
    if input.len() > MAX_INPUT_LEN || input.chars().count() != ChittyId::LEN {
        return None;
    }
    // Non-ASCII characters become NUL, which no slot accepts: they can only be substituted away.
    let mut text = [0u8; ChittyId::LEN];
    for (slot, character) in text.iter_mut().zip(input.chars()) {
        *slot = u8::try_from(character)
            .ok()
            .filter(u8::is_ascii)
            .unwrap_or(0);
    }
    if fast::is_valid_canonical(&text) {
        return None;
    }
    // A typo puts at most two characters in a slot that cannot hold them (a swap moves two).
    let mut misfits = [usize::MAX; 2];
    let mut misfit_count = 0;
    for slot in (0..ChittyId::LEN).filter(|&slot| !slot_accepts(slot, text[slot])) {
        if misfit_count == misfits.len() {
            return None;
        }
        misfits[misfit_count] = slot;
        misfit_count += 1;
    }
    let misfits = &misfits[..misfit_count];

    let mut found = Found::default();
    let substitution_slots = match misfits {
        [] => 0..ChittyId::LEN,
        [only] => *only..*only + 1,
        _ => 0..0,
    };
    for slot in substitution_slots {
        let original = text[slot];
        let replacements: &[u8] = if SLOTS[slot].is_some() {
            ALPHABET
        } else {
            b"-"
        };
        for &replacement in replacements {
            if replacement != original && slot_accepts(slot, replacement) {
                text[slot] = replacement;
                found.consider(&text)?;
            }
        }
        text[slot] = original;
    }

    for pair in DATA_SLOTS.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let touches_every_misfit = misfits.iter().all(|m| *m == a || *m == b);
        if text[a] != text[b] && touches_every_misfit {
            text.swap(a, b);
            let outcome = found.consider(&text);
            text.swap(a, b);
            outcome?;
        }
    }
    found.only
}

/// The single 2025-form ID one substitution or one swap of adjacent characters away from
/// `input` (see [`crate::Authority2025Id`]), when there is exactly one; `None` otherwise and for
/// input not of the 2025 shape.
pub fn suggest_2025(input: &str) -> Option<crate::Authority2025Id> {
    crate::authority2025::suggest_2025(input)
}

/// Candidates seen so far; `consider` answers `None` once a second distinct one appears.
#[derive(Default)]
struct Found {
    only: Option<ChittyId>,
}

impl Found {
    fn consider(&mut self, text: &[u8; ChittyId::LEN]) -> Option<()> {
        // The fast verdict first: most candidates fail, and the full parse would build an error.
        if !fast::is_valid_canonical(text) {
            return Some(());
        }
        let Some(candidate) = std::str::from_utf8(text)
            .ok()
            .and_then(|s| ChittyId::parse(s).ok())
        else {
            return Some(());
        };
        match self.only {
            Some(existing) if existing != candidate => None,
            _ => {
                self.only = Some(candidate);
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_letter_is_corrected_when_unique() {
        // 'O' typed for '0' in the sequence: the only digit that fits is the original.
        assert_eq!(
            suggest("03-1-USA-O001-P-2602-0-85").map(|id| id.to_string()),
            Some("03-1-USA-0001-P-2602-0-85".to_owned())
        );
        assert_eq!(
            suggest("03-1-USA-0001-p-2602-0-85").map(|id| id.to_string()),
            Some("03-1-USA-0001-P-2602-0-85".to_owned())
        );
    }

    #[test]
    fn a_swapped_pair_is_corrected_when_unique() {
        // The type letter swapped with the last sequence digit, across the hyphen: both slots
        // now hold the wrong class, so only swapping them back can give a valid ID.
        assert_eq!(
            suggest("03-1-USA-000P-1-2602-0-85").map(|id| id.to_string()),
            Some("03-1-USA-0001-P-2602-0-85".to_owned())
        );
    }

    #[test]
    fn two_candidates_give_no_suggestion() {
        // A wrong checksum digit: fixing the checksum is one candidate. Count, by brute force
        // here, how many other single substitutions and swaps also give a valid ID; with two or more
        // candidates there must be no suggestion, with exactly one it must be that one.
        let input = "03-1-USA-0001-P-2602-0-84";
        let mut candidates = Vec::new();
        for slot in 0..input.len() {
            for replacement in ALPHABET.iter().chain(b"-") {
                let mut bytes = input.as_bytes().to_vec();
                bytes[slot] = *replacement;
                if let Ok(id) = ChittyId::parse(std::str::from_utf8(&bytes).expect("ascii")) {
                    candidates.push(id);
                }
            }
        }
        let data: Vec<usize> = (0..input.len())
            .filter(|&i| input.as_bytes()[i] != b'-')
            .collect();
        for pair in data.windows(2) {
            let mut bytes = input.as_bytes().to_vec();
            bytes.swap(pair[0], pair[1]);
            if let Ok(id) = ChittyId::parse(std::str::from_utf8(&bytes).expect("ascii")) {
                candidates.push(id);
            }
        }
        candidates.sort();
        candidates.dedup();
        let expected = (candidates.len() == 1).then(|| candidates[0]);
        assert!(!candidates.is_empty());
        assert_eq!(suggest(input), expected, "candidates: {candidates:?}");
    }

    #[test]
    fn no_suggestion_for_valid_far_or_wrong_length_input() {
        assert_eq!(suggest("03-1-USA-0001-P-2602-0-85"), None);
        assert_eq!(suggest("03-1-usa-0001-p-2602-0-85"), None);
        assert_eq!(suggest("03-1-USA-0001-P-2602-0-8"), None);
        assert_eq!(suggest(""), None);
        assert_eq!(suggest(&"0".repeat(1 << 20)), None);
    }

    #[test]
    fn a_non_ascii_character_can_be_substituted_away() {
        assert_eq!(
            suggest("03-1-ÜSA-0001-P-2602-0-85").map(|id| id.to_string()),
            Some("03-1-USA-0001-P-2602-0-85".to_owned())
        );
    }
}
