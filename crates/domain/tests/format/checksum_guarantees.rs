//! docs/format.md claims the checksum catches every single-character substitution and every
//! adjacent transposition (hyphens ignored) that keeps the grammar valid. Checked exhaustively
//! here, over every position and every replacement character, for a few hundred IDs.

use chittyid_domain::{ChittyId, Components, Jurisdiction, Region, compute_checksum, strategies};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const RANDOM_IDS: usize = 300;
/// Characters of an ID without its hyphens: `031USA0001P26020` then the checksum `85`.
const DATA_LEN: usize = 18;
type Data = [u8; DATA_LEN];

/// The format grammar over the hyphen-free characters. VV is "2 digits" as in docs/format.md, wider than
/// the parser (which also refuses undefined versions): the guarantee is the checksum's, so it is
/// proved over the wider grammar.
fn keeps_grammar(data: &Data) -> bool {
    let digit = |i: usize| data[i].is_ascii_digit();
    let value = |i: usize| u16::from(data[i] - b'0') * 10 + u16::from(data[i + 1] - b'0');
    (0..2).all(digit)
        && (b'1'..=b'9').contains(&data[2])
        && data[3..6].iter().all(u8::is_ascii_uppercase)
        && (6..10).all(digit)
        && b"PLTEA".contains(&data[10])
        && (11..15).all(digit)
        && (1..=12).contains(&value(13))
        && (b'0'..=b'5').contains(&data[15])
        && (16..18).all(digit)
        && value(16) <= 96
}

fn checksum_holds(data: &Data) -> bool {
    let body = std::str::from_utf8(&data[..16]).expect("ascii");
    let stated = (data[16] - b'0') * 10 + (data[17] - b'0');
    compute_checksum(body).map(|c| c.value()) == Some(stated)
}

fn data_of(id: &ChittyId) -> Data {
    let mut data = [0; DATA_LEN];
    for (slot, b) in data
        .iter_mut()
        .zip(id.as_str().bytes().filter(|b| *b != b'-'))
    {
        *slot = b;
    }
    data
}

fn text_of(data: &Data) -> String {
    let part = |r: std::ops::Range<usize>| String::from_utf8_lossy(&data[r]).into_owned();
    [
        part(0..2),
        part(2..3),
        part(3..6),
        part(6..10),
        part(10..11),
        part(11..15),
        part(15..16),
        part(16..18),
    ]
    .join("-")
}

fn sample_ids() -> Vec<ChittyId> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = strategies::chitty_id();
    let mut ids: Vec<ChittyId> = (0..RANDOM_IDS)
        .map(|_| strategy.new_tree(&mut runner).expect("tree").current())
        .collect();
    ids.extend(
        [
            "03-1-USA-0001-P-2602-0-85",
            "03-4-JPN-0420-L-2511-5-34",
            "03-2-BRA-9999-A-2601-1-95",
            "03-9-DEU-0000-E-2612-4-66",
            "03-6-AUS-3141-T-2509-2-59",
            "03-1-CAN-0777-P-2701-3-10",
        ]
        .map(|s| ChittyId::parse(s).expect("spec vector")),
    );
    ids
}

#[test]
fn every_grammar_keeping_substitution_is_detected() {
    let mut checked = 0usize;
    for id in sample_ids() {
        let original = data_of(&id);
        assert!(
            keeps_grammar(&original) && checksum_holds(&original),
            "{id}"
        );
        for index in 0..DATA_LEN {
            for replacement in (b'0'..=b'9').chain(b'A'..=b'Z') {
                let mut mutated = original;
                mutated[index] = replacement;
                if replacement == original[index] || !keeps_grammar(&mutated) {
                    continue;
                }
                checked += 1;
                assert!(
                    !checksum_holds(&mutated),
                    "{id}: substitution at {index} undetected"
                );
                assert!(ChittyId::parse(&text_of(&mutated)).is_err());
            }
        }
    }
    // At least the 13 always-digit positions offer 9 replacements each, for every ID.
    assert!(
        checked >= RANDOM_IDS * 13 * 9,
        "only {checked} substitutions were checked"
    );
    println!("grammar-keeping substitutions checked: {checked}");
}

#[test]
fn every_grammar_keeping_adjacent_transposition_is_detected() {
    let mut checked = 0usize;
    for id in sample_ids() {
        let original = data_of(&id);
        for index in 0..DATA_LEN - 1 {
            let mut mutated = original;
            mutated.swap(index, index + 1);
            if mutated == original || !keeps_grammar(&mutated) {
                continue;
            }
            checked += 1;
            assert!(
                !checksum_holds(&mutated),
                "{id}: transposition at {index} undetected"
            );
            assert!(ChittyId::parse(&text_of(&mutated)).is_err());
        }
    }
    assert!(
        checked >= RANDOM_IDS * 5,
        "only {checked} transpositions were checked"
    );
    println!("grammar-keeping transpositions checked: {checked}");
}

/// Shows that the two tests above can fail: were G allowed letters, swapping G=1 with a
/// following B would change the running value by 99*1 - 9*11 = 0 (mod 97) and go unseen. Only
/// the grammar (G is a digit) catches it.
#[test]
fn a_letter_region_would_let_a_swap_through() {
    let id = ChittyId::from_components(Components {
        region: Region::NorthAmerica,
        jurisdiction: Jurisdiction::try_new("BRA").expect("valid"),
        ..ChittyId::parse("03-1-USA-0001-P-2602-0-85")
            .expect("vector")
            .components()
    });
    let mut swapped = data_of(&id);
    swapped.swap(2, 3);
    assert!(
        checksum_holds(&swapped),
        "the checksum alone misses {}",
        text_of(&swapped)
    );
    assert!(!keeps_grammar(&swapped));
    assert!(ChittyId::parse(&text_of(&swapped)).is_err());
}

/// The 2025 form without hyphens: `01CPEO0042P25103` then the checksum `23`.
mod authority_2025 {
    use chittyid_domain::{
        Authority2025Id, ChittyId, Format, classify, compute_checksum, strategies,
    };
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    const LENGTHS: [usize; 8] = [2, 1, 3, 4, 1, 4, 1, 2];
    type Data = [u8; 18];

    /// The 2025 grammar over the hyphen-free characters: VV `01`, G a letter, LLL letters,
    /// SSSS digits, T the first letter of LLL, YYMM with a month 01-12, a digit, XX <= 96.
    fn keeps_grammar(data: &Data) -> bool {
        let digit = |i: usize| data[i].is_ascii_digit();
        let value = |i: usize| u16::from(data[i] - b'0') * 10 + u16::from(data[i + 1] - b'0');
        &data[..2] == b"01"
            && data[2..6].iter().all(u8::is_ascii_uppercase)
            && (6..10).all(digit)
            && data[10] == data[3]
            && (11..15).all(digit)
            && (1..=12).contains(&value(13))
            && digit(15)
            && (16..18).all(digit)
            && value(16) <= 96
    }

    fn checksum_holds(data: &Data) -> bool {
        let body = std::str::from_utf8(&data[..16]).expect("ascii");
        let stated = (data[16] - b'0') * 10 + (data[17] - b'0');
        compute_checksum(body).map(|c| c.value()) == Some(stated)
    }

    fn data_of(text: &str) -> Data {
        let mut data = [0; 18];
        for (slot, b) in data.iter_mut().zip(text.bytes().filter(|b| *b != b'-')) {
            *slot = b;
        }
        data
    }

    fn text_of(data: &Data) -> String {
        let mut parts = Vec::new();
        let mut at = 0;
        for length in LENGTHS {
            parts.push(String::from_utf8_lossy(&data[at..at + length]).into_owned());
            at += length;
        }
        parts.join("-")
    }

    fn sample() -> Vec<Authority2025Id> {
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &[25; 32]),
        );
        let strategy = strategies::authority_2025_id();
        let mut ids: Vec<Authority2025Id> = (0..300)
            .map(|_| strategy.new_tree(&mut runner).expect("tree").current())
            .collect();
        ids.push(Authority2025Id::parse("01-C-PEO-0042-P-2510-3-23").expect("the example"));
        ids
    }

    #[test]
    fn every_grammar_keeping_substitution_is_detected() {
        let mut checked = 0usize;
        for id in sample() {
            let original = data_of(id.as_str());
            assert!(
                keeps_grammar(&original) && checksum_holds(&original),
                "{id}"
            );
            for index in 0..18 {
                for replacement in (b'0'..=b'9').chain(b'A'..=b'Z') {
                    let mut mutated = original;
                    mutated[index] = replacement;
                    if replacement == original[index] || !keeps_grammar(&mutated) {
                        continue;
                    }
                    checked += 1;
                    assert!(!checksum_holds(&mutated), "{id}: substitution at {index}");
                    assert!(Authority2025Id::parse(&text_of(&mutated)).is_err());
                }
            }
        }
        // G alone offers 25 replacements and 11 digit positions 9 each, for every ID.
        assert!(checked >= 301 * (25 + 11 * 9), "only {checked}");
        println!("2025 substitutions checked: {checked}");
    }

    #[test]
    fn every_grammar_keeping_adjacent_transposition_is_detected() {
        let mut checked = 0usize;
        for id in sample() {
            let original = data_of(id.as_str());
            for index in 0..17 {
                let mut mutated = original;
                mutated.swap(index, index + 1);
                if mutated == original || !keeps_grammar(&mutated) {
                    continue;
                }
                checked += 1;
                assert!(!checksum_holds(&mutated), "{id}: transposition at {index}");
                assert!(Authority2025Id::parse(&text_of(&mutated)).is_err());
            }
        }
        assert!(checked >= 301 * 5, "only {checked}");
        println!("2025 transpositions checked: {checked}");
    }

    /// What the checksum does not catch: G is a letter here and a digit in the canonical form.
    /// With VV `01`, G letter `v` and G digit `d` give the same checksum exactly when
    /// `v - d = 7` (A↔3 … G↔9), so replacing G by that digit yields a canonical-shaped ID whose
    /// checksum holds. Exhaustive over every ID of the sample and every digit 0-9.
    #[test]
    fn a_region_letter_and_the_digit_seven_below_it_share_a_checksum() {
        let mut slipped = 0usize;
        for id in sample() {
            let original = data_of(id.as_str());
            let letter_value = original[2] - b'A' + 10;
            for digit in b'0'..=b'9' {
                let mut mutated = original;
                mutated[2] = digit;
                let holds = checksum_holds(&mutated);
                assert_eq!(
                    holds,
                    letter_value == digit - b'0' + 7,
                    "{id} with G = {}",
                    char::from(digit)
                );
                if holds {
                    slipped += 1;
                    let text = text_of(&mutated);
                    assert_eq!(classify(&text), Format::Canonical, "{text}");
                    // The canonical parser never objects to its checksum: it accepts the ID when
                    // its other segments are in the canonical ranges (region 1-9, T one of
                    // P L T E A, trust 0-5), and otherwise names one of those.
                    let in_ranges =
                        digit != b'0' && b"PLTEA".contains(&mutated[10]) && mutated[15] <= b'5';
                    match ChittyId::parse(&text) {
                        Ok(_) => assert!(in_ranges, "{text}"),
                        Err(err) => {
                            assert!(!in_ranges, "{text}: {err}");
                            assert_ne!(err.code(), "checksum_mismatch", "{text}");
                        }
                    }
                }
            }
        }
        assert!(slipped > 0, "the sample holds region letters A-G");
        assert_eq!(
            ChittyId::parse("01-5-PEO-0042-P-2510-3-23").map(|id| id.checksum().value()),
            Ok(23)
        );
    }
}
