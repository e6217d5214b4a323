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
    pub error: Option<ErrorDetail>,
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
    /// A name for the entity, kept with the ID (at most 256 bytes).
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
    doc.to_pretty_json().expect("the document serialises")
}
