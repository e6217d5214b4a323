//! The ChittyID authority's HTTP protocol (`docs/format.md`, "The authority's HTTP protocol")
//! as types: what `chittyid authority` serves and what the gateway's upstream client sends and
//! reads, written once for both sides.
//!
//! Answers serialise under the protocol's own names (`chittyId`); the client reads IDs with
//! [`AnsweredId`] and [`AnsweredIds`], which also take the other names deployments answer with
//! (`chitty_id`, `chittyid`), so that it keeps working against an authority of another make
//! (or a gateway's compatibility answer, which carries several). A request body is serialised by the client
//! and parsed by the server, which then names each fault of each field (the server reads the
//! loosely typed fields itself, so that `"region": "x"` is `invalid_region`, not a serde
//! message).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A mint request body, `POST {base}/mint`, and each element of a batch. The entity, region
/// and trust level are kept as JSON values so that the server can name what is wrong with
/// them; the client fills them from a checked request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MintBody {
    #[serde(default)]
    pub entity: Value,
    /// The v2.2.0 client's documented field: a name for the entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<serde_json::Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_level: Option<serde_json::Number>,
}

/// `POST {base}/mint/batch`: `{"requests": [...]}`, each a [`MintBody`] (the server reads
/// each as a JSON value first, so that a fault names its index).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchBody<T = Value> {
    pub requests: Vec<T>,
}

/// The answer to a mint: the ID and what it was minted for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MintAnswer {
    #[schema(example = "03-1-USA-0001-P-2602-0-85")]
    pub chitty_id: String,
    /// The entity name as the caller spelled it.
    pub entity: String,
    /// `P`, `L`, `T`, `E` or `A`.
    pub entity_type: String,
    /// When it was minted, RFC 3339 in UTC.
    pub timestamp: String,
    /// The format version, two digits.
    pub version: String,
    /// With `?proof=true`: the signed checkpoint that holds this ID and its inclusion proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<LogReceipt>,
}

/// A mint's receipt from the mint log: a signed checkpoint (C2SP signed note) and the
/// inclusion proof of each minted ID against it, in request order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogReceipt {
    pub checkpoint: String,
    pub proofs: Vec<LogInclusionProof>,
}

/// The ID of a mint answer as the client reads it from any deployment: `chittyId`,
/// `chitty_id` or `chittyid`, the first present in that order.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AnsweredId {
    #[serde(rename = "chittyId")]
    camel: Option<String>,
    #[serde(rename = "chitty_id")]
    snake: Option<String>,
    chittyid: Option<String>,
}

impl AnsweredId {
    pub fn id(&self) -> Option<&str> {
        [&self.camel, &self.snake, &self.chittyid]
            .into_iter()
            .find_map(Option::as_deref)
    }
}

/// The IDs of a batch answer as the client reads them: `chittyIds`, `chitty_ids` or
/// `chittyids`, the first present in that order.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AnsweredIds {
    #[serde(rename = "chittyIds")]
    camel: Option<Vec<String>>,
    #[serde(rename = "chitty_ids")]
    snake: Option<Vec<String>>,
    chittyids: Option<Vec<String>>,
}

impl AnsweredIds {
    pub fn ids(&self) -> Option<&[String]> {
        [&self.camel, &self.snake, &self.chittyids]
            .into_iter()
            .find_map(Option::as_deref)
    }
}

/// The answer to a batch: the IDs in request order, and each one's details.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchAnswer {
    pub chitty_ids: Vec<String>,
    pub results: Vec<MintAnswer>,
    /// With `?proof=true`: one checkpoint and a proof per ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<LogReceipt>,
}

/// What the authority knows of an ID: `valid` only when well formed and minted here.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidateAnswer {
    pub valid: bool,
    #[serde(default)]
    #[schema(required = true)]
    pub chitty_id: String,
    #[serde(default)]
    #[schema(required = true)]
    pub well_formed: bool,
    #[serde(default)]
    #[schema(required = true)]
    pub minted_here: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minted_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<IdProblem>,
}

/// Why an ID is not valid: a parse error's code (`segment_count`, `checksum_mismatch`, ...,
/// as `chittyid validate --json` gives them) or `not_minted_here`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IdProblem {
    pub code: String,
    pub message: String,
}

/// `GET {base}/health` (no token).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthorityHealth {
    /// `ok`, or `unavailable` (503) when the store cannot commit.
    #[serde(default)]
    #[schema(required = true)]
    pub status: String,
    #[serde(default)]
    #[schema(required = true)]
    pub service: String,
    #[serde(default)]
    #[schema(required = true)]
    pub version: String,
    /// A mint repeated with its `Idempotency-Key` is answered with the first one's IDs.
    #[serde(default)]
    #[schema(required = true)]
    pub idempotency_keys: bool,
}

/// Every error answer: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody<'a> {
    #[serde(borrow)]
    pub error: ErrorDetail<'a>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail<'a> {
    /// Machine-readable; one of `ErrorCode`'s.
    #[schema(value_type = ErrorCode)]
    #[serde(borrow)]
    pub code: Cow<'a, str>,
    /// For a person to read.
    #[schema(value_type = String)]
    #[serde(borrow)]
    pub message: Cow<'a, str>,
}

/// The inclusion proof of one ID's leaf in the log's tree of `tree_size` leaves (RFC 9162
/// §2.1.3): `GET /v1/log/proof/{id}?size=N`. The leaf and the hashes are standard base64.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogInclusionProof {
    pub index: u64,
    pub tree_size: u64,
    pub leaf: String,
    pub hashes: Vec<String>,
}

/// A proof's hashes, from their standard base64; the error names the first that is not 32
/// bytes of it. Shared by every reader of the proofs (the gateway's witness, `chittyid log`).
pub fn decode_proof_hashes(hashes: &[String]) -> Result<Vec<[u8; 32]>, String> {
    use base64::Engine as _;
    hashes
        .iter()
        .map(|hash| {
            base64::engine::general_purpose::STANDARD
                .decode(hash)
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(|| format!("{hash:?} is not a 32-byte base64 hash"))
        })
        .collect()
}

/// The consistency proof between the log's trees of `from` and `to` leaves (RFC 9162
/// §2.1.4): `GET /v1/log/consistency?from=M&to=N`. The hashes are standard base64.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub hashes: Vec<String>,
}

/// An error code in the OpenAPI documents: a string, which each server's document lists as an
/// enum of its own codes.
#[derive(Debug)]
pub struct ErrorCode;

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .into()
    }
}

impl ToSchema for ErrorCode {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_read_under_every_name_deployments_use() {
        for name in ["chittyId", "chitty_id", "chittyid"] {
            let answer: AnsweredId =
                serde_json::from_value(json!({ name: "03-1-USA-0001-P-2602-0-85" }))
                    .expect("reads");
            assert_eq!(answer.id(), Some("03-1-USA-0001-P-2602-0-85"), "{name}");
        }
        // A gateway's compatibility answer carries several names at once.
        let several: AnsweredId =
            serde_json::from_value(json!({"chittyId": "a", "chitty_id": "a", "id": "a"}))
                .expect("reads");
        assert_eq!(several.id(), Some("a"));
        let none: AnsweredId = serde_json::from_value(json!({"id": "x"})).expect("reads");
        assert_eq!(none.id(), None);
        let batch: AnsweredIds =
            serde_json::from_value(json!({"chitty_ids": ["a", "b"]})).expect("reads");
        assert_eq!(batch.ids(), Some(&["a".to_owned(), "b".to_owned()][..]));
        let verdict: ValidateAnswer =
            serde_json::from_value(json!({"valid": true})).expect("reads");
        assert!(verdict.valid && verdict.entity.is_none());
    }

    #[test]
    fn a_body_is_written_with_the_protocols_names_and_nothing_unset() {
        let body = MintBody {
            entity: json!("PEO"),
            trust_level: Some(3.into()),
            ..MintBody::default()
        };
        assert_eq!(
            serde_json::to_value(&body).expect("writes"),
            json!({"entity": "PEO", "trustLevel": 3})
        );
        let error: ErrorBody<'_> =
            serde_json::from_str(r#"{"error":{"code":"rate_limited","message":"slow down"}}"#)
                .expect("reads");
        assert_eq!(error.error.code, "rate_limited");
    }
}
