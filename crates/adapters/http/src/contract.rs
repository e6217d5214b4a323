//! The authority's HTTP contract as types: the answers its handlers serialise, and the OpenAPI
//! 3.1 document generated from them (utoipa), served at `/openapi.json` and committed as
//! `docs/openapi/authority.json` (a test keeps the two equal).

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The answer to a mint: the ID and what it was minted for.
#[derive(Debug, Serialize, ToSchema)]
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
}

/// The answer to a batch: the IDs in request order, and each one's details.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchAnswer {
    pub chitty_ids: Vec<String>,
    pub results: Vec<MintAnswer>,
}

/// What the authority knows of an ID: `valid` only when well formed and minted here.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidateAnswer {
    pub valid: bool,
    pub chitty_id: String,
    pub well_formed: bool,
    pub minted_here: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minted_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<IdProblem>,
}

/// Why an ID is not valid: a parse error's code (`segment_count`, `checksum_mismatch`, ...,
/// as `chittyid validate --json` gives them) or `not_minted_here`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdProblem {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthorityHealth {
    /// `ok`, or `unavailable` (503) when the store cannot commit.
    pub status: String,
    pub service: String,
    pub version: String,
    /// A mint repeated with its `Idempotency-Key` is answered with the first one's IDs.
    pub idempotency_keys: bool,
}

/// Every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable; one of [`ErrorCode`]'s.
    #[schema(value_type = ErrorCode)]
    pub code: String,
    /// For a person to read.
    pub message: String,
}

/// The error codes the authority answers with.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidJson,
    UnknownField,
    InvalidField,
    UnsupportedMediaType,
    BodyTooLarge,
    BodyTimeout,
    BodyUnreadable,
    MetadataTooLarge,
    InvalidMetadata,
    InvalidName,
    UnsupportedEntityType,
    InvalidRegion,
    InvalidJurisdiction,
    InvalidTrustLevel,
    BatchSize,
    InvalidIdempotencyKey,
    IdempotencyKeyReused,
    SequenceSpaceExhausted,
    MissingToken,
    InvalidToken,
    InvalidPath,
    NotFound,
    MethodNotAllowed,
    StoreUnavailable,
    InternalError,
    NotMintedHere,
}

/// A mint request, as `POST /v1/mint` takes it and each element of a batch.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // a schema: the body is parsed by `mint_body`, which names each fault
#[schema(as = MintRequest)]
struct MintRequestSchema {
    /// An entity name of any vocabulary (`PEO`, `person`, `P`, ...).
    entity: String,
    /// A name for the entity, kept with the ID (at most 256 characters).
    name: Option<String>,
    /// A JSON object, at most 10 KiB.
    metadata: Option<serde_json::Value>,
    /// 1-9.
    region: Option<u8>,
    /// An ISO 3166-1 alpha-3 code.
    jurisdiction: Option<String>,
    /// 0-5.
    #[schema(rename = "trustLevel")]
    trust_level: Option<u8>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // a schema, as above
#[schema(as = BatchRequest)]
struct BatchRequestSchema {
    /// 1 to 100 requests.
    requests: Vec<MintRequestSchema>,
}

#[utoipa::path(
    post, path = "/v1/mint", tag = "authority",
    request_body = MintRequestSchema,
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters: a repeat gets the same ID for 24 hours")),
    responses(
        (status = 200, body = MintAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 408, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[allow(dead_code)]
fn mint() {}

#[utoipa::path(
    post, path = "/v1/mint/batch", tag = "authority",
    request_body = BatchRequestSchema,
    params(("Idempotency-Key" = Option<String>, Header, description = "as for /v1/mint")),
    responses(
        (status = 200, body = BatchAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 408, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[allow(dead_code)]
fn mint_batch() {}

#[utoipa::path(
    get, path = "/v1/validate/{id}", tag = "authority",
    params(("id" = String, Path, description = "The ID, percent-encoded")),
    responses(
        (status = 200, body = ValidateAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[allow(dead_code)]
fn validate() {}

#[utoipa::path(
    get, path = "/v1/health", tag = "authority",
    responses((status = 200, body = AuthorityHealth), (status = 503, body = AuthorityHealth))
)]
#[allow(dead_code)]
fn health() {}

#[utoipa::path(
    get, path = "/v1/metrics", tag = "authority",
    responses((status = 200, description = "Prometheus text", content_type = "text/plain", body = String))
)]
#[allow(dead_code)]
fn metrics() {}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The authority's document. The same routes answer under `/api/v1/`.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "chittyid authority", description = "The reference ChittyID authority: unique canonical IDs, every mint durable before it is answered. The same routes answer under /api/v1."),
    paths(mint, mint_batch, validate, health, metrics),
    components(schemas(ErrorCode)),
    modifiers(&BearerAuth)
)]
pub struct AuthorityDoc;

/// The authority's OpenAPI document, as JSON.
pub fn authority_openapi_json() -> String {
    let mut doc = AuthorityDoc::openapi();
    // The crate's version would make the committed document change with every release bump.
    doc.info.version = "1".to_owned();
    let mut value = serde_json::to_value(&doc).expect("the document serialises");
    constrain(&mut value);
    serde_json::to_string_pretty(&value).expect("the document serialises")
}

/// The limits the derive cannot say from the types, written from the same constants the
/// handlers enforce: the entity vocabulary, the ISO 3166-1 codes, the ranges, the sizes. A
/// request the document calls valid is one the authority accepts.
fn constrain(doc: &mut serde_json::Value) {
    use serde_json::json;
    let mut entities: Vec<&str> = chittyid_domain::V2_2_0_ENTITY_NAMES.to_vec();
    entities.extend(["P", "L", "T", "E", "A"]);
    let mut jurisdictions: Vec<serde_json::Value> = chittyid_domain::ISO_3166_ALPHA3
        .iter()
        .map(|code| json!(code))
        .collect();
    jurisdictions.push(serde_json::Value::Null);
    let request = &mut doc["components"]["schemas"]["MintRequest"]["properties"];
    request["entity"] = json!({"type": "string", "enum": entities});
    request["jurisdiction"] = json!({"type": ["string", "null"], "enum": jurisdictions});
    request["region"] = json!({"type": ["integer", "null"], "minimum": 1, "maximum": 9});
    request["trustLevel"] = json!({"type": ["integer", "null"], "minimum": 0, "maximum": 5});
    request["name"] = json!({
        "type": ["string", "null"],
        "maxLength": chittyid_app::authority::MAX_NAME_CHARS
    });
    request["metadata"] = json!({
        "type": ["object", "null"],
        "description": "A JSON object of at most 10 KiB as JSON text"
    });
    // Unknown fields are refused, by name.
    doc["components"]["schemas"]["MintRequest"]["additionalProperties"] = json!(false);
    doc["components"]["schemas"]["BatchRequest"]["additionalProperties"] = json!(false);
    let batch = &mut doc["components"]["schemas"]["BatchRequest"]["properties"]["requests"];
    batch["minItems"] = json!(1);
    batch["maxItems"] = json!(crate::mint_body::MAX_BATCH_REQUESTS);
    for path in ["/v1/mint", "/v1/mint/batch"] {
        if let Some(parameters) = doc["paths"][path]["post"]["parameters"].as_array_mut() {
            for parameter in parameters {
                if parameter["name"] == "Idempotency-Key" {
                    parameter["schema"] = json!({
                        "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"
                    });
                }
            }
        }
    }
}
