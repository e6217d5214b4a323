//! A mint request, checked: the entity name is known, the metadata is a bounded JSON object.

use chittyid_domain::{EntityName, Jurisdiction, Region, TrustLevel};

/// The largest metadata accepted, as serialised JSON (the readiness review's 10 KB).
pub const MAX_METADATA_BYTES: usize = 10 * 1024;

/// Caller metadata: a JSON object of at most [`MAX_METADATA_BYTES`] bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("metadata must be a JSON object")]
    NotAnObject,
    #[error("metadata is {size} bytes as JSON; the limit is {MAX_METADATA_BYTES}")]
    TooLarge { size: usize },
}

impl Metadata {
    pub fn try_new(value: &serde_json::Value) -> Result<Self, MetadataError> {
        if !value.is_object() {
            return Err(MetadataError::NotAnObject);
        }
        let text = value.to_string();
        if text.len() > MAX_METADATA_BYTES {
            return Err(MetadataError::TooLarge { size: text.len() });
        }
        Ok(Self(text))
    }

    pub fn as_json(&self) -> &str {
        &self.0
    }
}

/// The longest entity name (`name`) accepted, in characters.
pub const MAX_NAME_CHARS: usize = 256;

/// What to mint. Unset region, jurisdiction and trust level take the authority's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintRequest {
    pub entity: EntityName,
    /// The name the caller gives the entity (the v2.2.0 client's `name`), kept with the ID; at
    /// most [`MAX_NAME_CHARS`] characters.
    pub name: Option<String>,
    pub metadata: Option<Metadata>,
    pub region: Option<Region>,
    pub jurisdiction: Option<Jurisdiction>,
    pub trust_level: Option<TrustLevel>,
}

impl MintRequest {
    pub fn new(entity: EntityName) -> Self {
        Self {
            entity,
            name: None,
            metadata: None,
            region: None,
            jurisdiction: None,
            trust_level: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_must_be_a_bounded_object() {
        assert!(Metadata::try_new(&json!({"a": 1})).is_ok());
        assert_eq!(
            Metadata::try_new(&json!([1])),
            Err(MetadataError::NotAnObject)
        );
        assert_eq!(
            Metadata::try_new(&json!("x")),
            Err(MetadataError::NotAnObject)
        );
        let big = json!({"a": "x".repeat(MAX_METADATA_BYTES)});
        assert!(matches!(
            Metadata::try_new(&big),
            Err(MetadataError::TooLarge { .. })
        ));
        let fits = json!({"a": "x".repeat(MAX_METADATA_BYTES - 8)});
        assert_eq!(fits.to_string().len(), MAX_METADATA_BYTES);
        assert!(Metadata::try_new(&fits).is_ok());
    }
}
