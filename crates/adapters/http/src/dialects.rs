//! The ChittyOS callers' dialects of a mint request, served as they are on the compatibility
//! routes (`/v1/mint`, `/api/v1/mint`, `/mint`, `/generate`), never on the gateway's own
//! `/api/id` contract, which stays strict. Each dialect is mapped onto the one request model
//! without guessing:
//!
//! | dialect | who sends it | how it is mapped |
//! |---|---|---|
//! | `entityType`, `entity_type` or `type` for the entity | workers, MCP tools, shell scripts | read as `entity`; two that disagree are refused |
//! | an entity name outside the nine (`SESSION`, `USER`, ...) | session and user services | mapped by the operator's alias table (defaults below); refused, naming the flag, when it has none |
//! | `trust_level` | Python scripts | read as `trustLevel` |
//! | fields of their own (`nodeId`, `context`, `purpose`, `sessionContext`, ...) | workers, the MCP server | kept in `metadata` (which must then be an object or absent) |
//! | the ID read from `chitty_id` or `id` | CLI, scripts | answered beside `chittyId` |

use chittyid_app::error_code::ErrorCode;
use std::collections::BTreeMap;

use chittyid_domain::EntityName;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Entity names outside the nine, mapped to one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityAliases {
    /// Upper-case alias to one of the nine names.
    map: BTreeMap<String, String>,
}

/// The aliases every gateway has unless its operator maps them otherwise: the obvious ones.
pub const DEFAULT_ENTITY_ALIASES: [(&str, &str); 5] = [
    ("SESSION", "CONTEXT"),
    ("USER", "PEO"),
    ("PROPERTY", "PROP"),
    ("EVIDENCE", "INFO"),
    ("AUDIT", "EVNT"),
];

impl Default for EntityAliases {
    fn default() -> Self {
        Self {
            map: DEFAULT_ENTITY_ALIASES
                .iter()
                .map(|(alias, name)| ((*alias).to_owned(), (*name).to_owned()))
                .collect(),
        }
    }
}

impl EntityAliases {
    /// The defaults with `ALIAS=NAME` entries added (or replacing a default); `NAME` must be
    /// one of the names the format knows.
    pub fn try_with(entries: &[String]) -> Result<Self, String> {
        let mut aliases = Self::default();
        for entry in entries {
            let (alias, name) = entry
                .split_once('=')
                .map(|(a, n)| (a.trim(), n.trim()))
                .filter(|(a, n)| !a.is_empty() && !n.is_empty())
                .ok_or_else(|| {
                    format!("--entity-alias {entry:?}: expected ALIAS=NAME, e.g. SESSION=CONTEXT")
                })?;
            EntityName::parse(name).map_err(|err| format!("--entity-alias {entry:?}: {err}"))?;
            aliases
                .map
                .insert(alias.to_ascii_uppercase(), name.to_owned());
        }
        Ok(aliases)
    }

    /// The name an alias stands for.
    pub fn resolve(&self, alias: &str) -> Option<&str> {
        self.map
            .get(&alias.to_ascii_uppercase())
            .map(String::as_str)
    }

    /// Every alias and its name, for the health document and the start-up log.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(a, n)| (a.as_str(), n.as_str()))
    }
}

/// A mint asked in a query string, as `GET /api/generate?...` callers do
/// (`region=1&jurisdiction=USA&type=P&trust=3&identifier=...`), as a body in the callers'
/// dialects: `type` (or `entity`, ...) is the entity, `trust` the trust level, numbers are
/// numbers, and any other parameter (`identifier`) is a field of their own, kept in metadata.
/// `+` is a space and `%XX` a byte, as browsers' `URLSearchParams` encode them; a parameter
/// given twice is refused.
pub(crate) fn mint_from_query(query: &str) -> Result<Value, ApiError> {
    let mut fields = Map::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| crate::authority::percent_decode(&text.replace('+', " "));
        let (name, value) = (decode(name)?, decode(value)?);
        let (field, numeric) = match name.as_str() {
            "trust" | "trustLevel" | "trust_level" => ("trustLevel", true),
            "region" => ("region", true),
            other => (other, false),
        };
        let value = match value.parse::<u64>() {
            Ok(number) if numeric => Value::from(number),
            _ => Value::String(value),
        };
        if fields.insert(field.to_owned(), value).is_some() {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidQuery,
                format!("the query gives {name} twice"),
            ));
        }
    }
    Ok(Value::Object(fields))
}

/// The fields of the one request model.
const KNOWN: [&str; 6] = [
    "entity",
    "name",
    "metadata",
    "region",
    "jurisdiction",
    "trustLevel",
];

/// The other names callers give the entity field.
const ENTITY_FIELDS: [&str; 4] = ["entity", "entityType", "entity_type", "type"];

/// One mint request in a caller's dialect, rewritten in the request model's own shape (which
/// the strict parser then checks).
pub(crate) fn canonical_mint(value: Value, aliases: &EntityAliases) -> Result<Value, ApiError> {
    let Value::Object(mut fields) = value else {
        // Not an object: the strict parser says what is wrong with it.
        return Ok(value);
    };
    let mut entity: Option<(&str, Value)> = None;
    for field in ENTITY_FIELDS {
        if let Some(given) = fields.remove(field) {
            match &entity {
                Some((first, seen)) if *seen != given => {
                    return Err(ApiError::bad_request(
                        ErrorCode::InvalidField,
                        format!("{first} and {field} name different entities; send one"),
                    ));
                }
                Some(_) => {}
                None => entity = Some((field, given)),
            }
        }
    }
    if let Some(trust) = fields.remove("trust_level") {
        fields.entry("trustLevel").or_insert(trust);
    }
    let mut metadata = match fields.remove("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        // A metadata value that is no object: refused by the strict parser, as on /api/id.
        Some(other) => {
            fields.insert("metadata".to_owned(), other);
            return Ok(Value::Object(fields));
        }
    };
    if let Some((_, Value::String(name))) = &entity
        && EntityName::parse(name).is_err()
    {
        match aliases.resolve(name) {
            Some(known) => {
                metadata
                    .entry("requestedEntity")
                    .or_insert_with(|| Value::String(name.clone()));
                entity = Some(("entity", Value::String(known.to_owned())));
            }
            None => {
                return Err(ApiError::bad_request(
                    ErrorCode::UnsupportedEntityType,
                    format!(
                        "Unsupported ChittyID entity type: {name}. Use one of PEO, PLACE, PROP, EVNT, AUTH, INFO, FACT, CONTEXT, ACTOR, or ask the operator to map it (--entity-alias {}=<one of them>)",
                        name.to_ascii_uppercase()
                    ),
                ));
            }
        }
    }
    let extra: Vec<String> = fields
        .keys()
        .filter(|key| !KNOWN.contains(&key.as_str()))
        .cloned()
        .collect();
    for key in extra {
        if let Some(value) = fields.remove(&key) {
            metadata.entry(key).or_insert(value);
        }
    }
    if let Some((_, value)) = entity {
        fields.insert("entity".to_owned(), value);
    }
    if !metadata.is_empty() {
        fields.insert("metadata".to_owned(), Value::Object(metadata));
    }
    Ok(Value::Object(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canonical(value: Value) -> Result<Value, String> {
        canonical_mint(value, &EntityAliases::default()).map_err(|err| err.code.to_string())
    }

    #[test]
    fn a_query_is_read_as_a_body_in_the_callers_dialects() {
        let query = "region=1&jurisdiction=USA&type=P&trust=3&identifier=PIN%3A12+34";
        let mint = mint_from_query(query).expect("parses");
        assert_eq!(
            mint,
            json!({"region": 1, "jurisdiction": "USA", "type": "P", "trustLevel": 3,
                "identifier": "PIN:12 34"})
        );
        assert_eq!(
            canonical(mint),
            Ok(
                json!({"region": 1, "jurisdiction": "USA", "entity": "P", "trustLevel": 3,
                "metadata": {"identifier": "PIN:12 34"}})
            )
        );
        // A region that is no number goes on as text, for the strict parser to refuse.
        assert_eq!(
            mint_from_query("region=north").expect("parses"),
            json!({"region": "north"})
        );
        let twice = mint_from_query("type=P&type=L").map_err(|err| err.code.to_string());
        assert_eq!(twice, Err("invalid_query".to_owned()));
    }

    #[test]
    fn the_entity_under_other_names_is_read_as_entity() {
        for field in ["entityType", "entity_type", "type"] {
            assert_eq!(
                canonical(json!({ field: "PEO" })),
                Ok(json!({"entity": "PEO"})),
                "{field}"
            );
        }
        assert_eq!(
            canonical(json!({"entity": "PEO", "type": "PLACE"})),
            Err("invalid_field".to_owned())
        );
        assert_eq!(
            canonical(json!({"entity": "PEO", "entityType": "PEO"})),
            Ok(json!({"entity": "PEO"}))
        );
    }

    #[test]
    fn fields_of_their_own_are_kept_as_metadata() {
        assert_eq!(
            canonical(
                json!({"entityType": "CONTEXT", "nodeId": "n1", "purpose": "chat",
                "metadata": {"a": 1}, "trust_level": 2})
            ),
            Ok(json!({"entity": "CONTEXT", "trustLevel": 2,
                "metadata": {"a": 1, "nodeId": "n1", "purpose": "chat"}}))
        );
    }

    #[test]
    fn entity_names_outside_the_nine_go_through_the_alias_table() {
        assert_eq!(
            canonical(json!({"entity": "session"})),
            Ok(json!({"entity": "CONTEXT", "metadata": {"requestedEntity": "session"}}))
        );
        assert_eq!(
            canonical(json!({"entity": "CASE"})),
            Err("unsupported_entity_type".to_owned())
        );
        let operator = EntityAliases::try_with(&["CASE=EVNT".to_owned(), "session=PEO".to_owned()])
            .expect("valid");
        assert_eq!(operator.resolve("case"), Some("EVNT"));
        assert_eq!(
            operator.resolve("SESSION"),
            Some("PEO"),
            "replaces a default"
        );
        assert!(EntityAliases::try_with(&["CASE=LAWSUIT".to_owned()]).is_err());
        assert!(EntityAliases::try_with(&["CASE".to_owned()]).is_err());
    }
}
