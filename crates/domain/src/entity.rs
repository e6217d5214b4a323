//! The names callers use for entity types, across the vocabularies of docs/format.md.

use std::fmt;

use crate::components::EntityType;

/// The v2.2.0 entity names, in the order its error message lists them.
pub const V2_2_0_ENTITY_NAMES: [&str; 9] = [
    "PEO", "PLACE", "PROP", "EVNT", "AUTH", "INFO", "FACT", "CONTEXT", "ACTOR",
];

/// Every accepted name (compared ignoring ASCII case, so `place` covers `PLACE`) and its type.
const VOCABULARY: [(&str, EntityType); 19] = [
    ("P", EntityType::Person),
    ("person", EntityType::Person),
    ("PEO", EntityType::Person),
    ("CONTEXT", EntityType::Person),
    ("ACTOR", EntityType::Person),
    ("L", EntityType::Location),
    ("location", EntityType::Location),
    ("place", EntityType::Location),
    ("T", EntityType::Thing),
    ("thing", EntityType::Thing),
    ("PROP", EntityType::Thing),
    ("INFO", EntityType::Thing),
    ("FACT", EntityType::Thing),
    ("E", EntityType::Event),
    ("event", EntityType::Event),
    ("EVNT", EntityType::Event),
    ("A", EntityType::Authority),
    ("authority", EntityType::Authority),
    ("AUTH", EntityType::Authority),
];

/// How much of an unknown name the error message repeats; the rest is elided, so an error can
/// never be used to echo megabytes back.
pub const MAX_ECHOED_NAME_CHARS: usize = 64;

/// An entity name a caller gave, kept as spelled, with the type it maps to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityName {
    name: String,
    entity_type: EntityType,
}

impl EntityName {
    pub fn parse(name: &str) -> Result<Self, UnknownEntityName> {
        EntityType::from_name(name).map(|entity_type| Self {
            name: name.to_owned(),
            entity_type,
        })
    }

    /// The caller's own spelling, to keep with the minted record.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn entity_type(&self) -> EntityType {
        self.entity_type
    }
}

impl fmt::Display for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl EntityType {
    /// Maps any name of the table in docs/format.md, in any case, to its type.
    pub fn from_name(name: &str) -> Result<Self, UnknownEntityName> {
        VOCABULARY
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, entity_type)| *entity_type)
            .ok_or_else(|| UnknownEntityName::new(name))
    }
}

/// The v2.2.0 refusal, word for word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Unsupported ChittyID entity type: {echoed}. Use one of PEO, PLACE, PROP, EVNT, AUTH, INFO, FACT, CONTEXT, ACTOR."
)]
pub struct UnknownEntityName {
    echoed: String,
}

impl UnknownEntityName {
    fn new(name: &str) -> Self {
        let mut echoed: String = name.chars().take(MAX_ECHOED_NAME_CHARS).collect();
        if echoed.len() < name.len() {
            echoed.push('…');
        }
        Self { echoed }
    }

    /// Machine-readable code.
    pub const fn code(&self) -> &'static str {
        "unsupported_entity_type"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_in_the_spec_table_maps_to_its_letter_in_any_case() {
        let table = [
            ("P person PEO CONTEXT ACTOR", 'P'),
            ("L location place PLACE", 'L'),
            ("T thing PROP INFO FACT", 'T'),
            ("E event EVNT", 'E'),
            ("A authority AUTH", 'A'),
        ];
        for (names, letter) in table {
            for name in names.split(' ') {
                for spelling in [name.to_owned(), name.to_uppercase(), name.to_lowercase()] {
                    let entity = EntityName::parse(&spelling).expect("known name");
                    assert_eq!(entity.entity_type().letter(), letter, "{spelling}");
                    assert_eq!(entity.as_str(), spelling, "keeps the caller's spelling");
                }
            }
        }
    }

    #[test]
    fn the_v2_2_0_names_are_all_known() {
        for name in V2_2_0_ENTITY_NAMES {
            assert!(EntityType::from_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn unknown_names_get_the_v2_2_0_message() {
        for (input, shown) in [
            ("INVALID_TYPE", "INVALID_TYPE"),
            ("", ""),
            ("I", "I"),
            (" PEO", " PEO"),
        ] {
            let err = EntityType::from_name(input).expect_err("unknown");
            assert_eq!(
                err.to_string(),
                format!(
                    "Unsupported ChittyID entity type: {shown}. Use one of PEO, PLACE, PROP, EVNT, AUTH, INFO, FACT, CONTEXT, ACTOR."
                )
            );
            assert_eq!(err.code(), "unsupported_entity_type");
        }
    }

    #[test]
    fn a_huge_unknown_name_is_echoed_only_in_part() {
        let huge = "X".repeat(1 << 20);
        let message = EntityType::from_name(&huge)
            .expect_err("unknown")
            .to_string();
        assert!(message.len() < 300, "{} bytes", message.len());
        assert!(message.contains(&format!("{}….", "X".repeat(MAX_ECHOED_NAME_CHARS))));
    }
}
