//! Proptest strategies for downstream property tests (feature `proptest`).
//!
//! ```
//! use chittyid_domain::{ChittyId, strategies};
//! use proptest::prelude::*;
//!
//! proptest!(|(id in strategies::chitty_id())| {
//!     prop_assert_eq!(ChittyId::parse(id.as_str()), Ok(id));
//! });
//! ```

use proptest::prelude::*;

use crate::chitty_id::{ChittyId, Components};
use crate::components::{
    EntityType, Jurisdiction, Region, Sequence, TrustLevel, Version, YearMonth,
};

/// Any valid set of components.
pub fn components() -> impl Strategy<Value = Components> {
    (
        proptest::sample::select(&Version::ALL[..]),
        proptest::sample::select(&Region::ALL[..]),
        "[A-Z]{3}",
        0..=Sequence::MAX,
        proptest::sample::select(&EntityType::ALL[..]),
        (2000u16..=2099, 1u8..=12),
        proptest::sample::select(&TrustLevel::ALL[..]),
    )
        .prop_map(
            |(version, region, jurisdiction, sequence, entity_type, (year, month), trust_level)| {
                Components {
                    version,
                    region,
                    jurisdiction: Jurisdiction::try_new(&jurisdiction)
                        .expect("regex yields three upper-case letters"),
                    sequence: Sequence::try_new(u32::from(sequence)).expect("range is in bounds"),
                    entity_type,
                    year_month: YearMonth::try_new(year, month).expect("range is in bounds"),
                    trust_level,
                }
            },
        )
}

/// Any canonical ChittyID.
pub fn chitty_id() -> impl Strategy<Value = ChittyId> {
    components().prop_map(ChittyId::from_components)
}

impl Arbitrary for ChittyId {
    type Parameters = ();
    type Strategy = BoxedStrategy<ChittyId>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        chitty_id().boxed()
    }
}

/// One typo applied to a valid ID.
#[derive(Debug, Clone, Copy)]
pub enum Edit {
    /// Replace the character at this index (taken modulo the length) with this one.
    Substitute(usize, char),
    /// Swap the n-th non-hyphen character (n taken modulo their count) with the next one.
    Transpose(usize),
    Delete(usize),
    Insert(usize, char),
    /// Lower-case the first letter at or after this index.
    LowerCase(usize),
    /// Surround with white space, as a copy from a document would.
    Pad,
}

fn edit() -> impl Strategy<Value = Edit> {
    let character = prop_oneof![
        4 => proptest::char::range('0', '9'),
        4 => proptest::char::range('A', 'Z'),
        1 => Just('-'),
        1 => any::<char>(),
    ];
    prop_oneof![
        4 => (any::<usize>(), character.clone()).prop_map(|(i, c)| Edit::Substitute(i, c)),
        3 => any::<usize>().prop_map(Edit::Transpose),
        1 => any::<usize>().prop_map(Edit::Delete),
        1 => (any::<usize>(), character).prop_map(|(i, c)| Edit::Insert(i, c)),
        1 => any::<usize>().prop_map(Edit::LowerCase),
        1 => Just(Edit::Pad),
    ]
}

/// `id` with `edit` applied; may equal `id` (a swap of equal characters, say).
pub fn apply(id: &ChittyId, edit: Edit) -> String {
    let mut chars: Vec<char> = id.as_str().chars().collect();
    let len = chars.len();
    match edit {
        Edit::Substitute(i, c) => chars[i % len] = c,
        Edit::Transpose(i) => {
            let data: Vec<usize> = (0..len).filter(|&j| chars[j] != '-').collect();
            let at = i % (data.len() - 1);
            chars.swap(data[at], data[at + 1]);
        }
        Edit::Delete(i) => {
            chars.remove(i % len);
        }
        Edit::Insert(i, c) => chars.insert(i % (len + 1), c),
        Edit::LowerCase(i) => {
            if let Some(j) = (0..len)
                .map(|k| (i + k) % len)
                .find(|&j| chars[j].is_ascii_uppercase())
            {
                chars[j] = chars[j].to_ascii_lowercase();
            }
        }
        Edit::Pad => return format!(" {} ", id.as_str()),
    }
    chars.into_iter().collect()
}

/// A valid ID and the same ID with one typo that changed it.
pub fn near_miss_of_id() -> impl Strategy<Value = (ChittyId, String)> {
    (chitty_id(), edit())
        .prop_map(|(id, edit)| {
            let missed = apply(&id, edit);
            (id, missed)
        })
        .prop_filter("the edit must change the text", |(id, missed)| {
            id.as_str() != missed
        })
}

/// A string one typo away from a valid ID. Never itself a valid ID: this crate's tests prove
/// that the checksum catches every such typo that keeps the grammar valid.
pub fn near_miss() -> impl Strategy<Value = String> {
    near_miss_of_id().prop_map(|(_, missed)| missed)
}

/// The entity prefixes the 2025 authority wrote: the first three letters of each v2.2.0 entity
/// name (`PEO`, `PLA`, `PRO`, `EVN`, `AUT`, `INF`, `FAC`, `CON`, `ACT`).
const PREFIXES_2025: [&str; 9] = [
    "PEO", "PLA", "PRO", "EVN", "AUT", "INF", "FAC", "CON", "ACT",
];

/// Any ID of the authority's 2025 form with a checksum that holds: VV `01`, a region letter,
/// an entity prefix, its first letter as T.
pub fn authority_2025_id() -> impl Strategy<Value = crate::Authority2025Id> {
    (
        proptest::char::range('A', 'Z'),
        proptest::sample::select(&PREFIXES_2025[..]),
        0u16..=9999,
        (0u16..=99, 1u8..=12),
        0u8..=9,
    )
        .prop_map(|(region, prefix, sequence, (year, month), digit)| {
            let entity = &prefix[..1];
            let body =
                format!("01-{region}-{prefix}-{sequence:04}-{entity}-{year:02}{month:02}-{digit}");
            let checksum = crate::compute_checksum(&body).expect("digits and letters");
            crate::Authority2025Id::parse(&format!("{body}-{checksum}"))
                .expect("built by the form's rule")
        })
}

/// Any status placeholder: `00-{1-4}-{code}-{status}{variant}-{letter}-0000-{digit}-{digit}`.
pub fn status_placeholder() -> impl Strategy<Value = String> {
    (
        1u8..=4,
        "[A-Z]{3}",
        100u16..=599,
        0u8..=9,
        proptest::char::range('A', 'Z'),
        0u8..=9,
        "[0-9]{1,2}",
    )
        .prop_map(|(kind, code, status, variant, letter, digit, last)| {
            format!("00-{kind}-{code}-{status}{variant}-{letter}-0000-{digit}-{last}")
        })
}

/// Any reserved command or test pattern: `00-0-SYS-…`, `00-0-ADM-…`, `99-9-TST-…` and five
/// segments of upper-case letters and digits.
pub fn reserved_pattern() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(&["00-0-SYS", "00-0-ADM", "99-9-TST"][..]),
        proptest::collection::vec("[A-Z0-9]{1,4}", 5),
    )
        .prop_map(|(prefix, rest)| format!("{prefix}-{}", rest.join("-")))
}
