//! The authority's answers and its OpenAPI document.

use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use chittyid_app::error_code::ErrorCode;

use super::{BatchRequestSchema, BearerAuth, ErrorBody, MintRequestSchema};

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

/// The authority's document. The same routes answer under `/api/v1/`.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "chittyid authority", description = "The reference ChittyID authority: unique canonical IDs, every mint durable before it is answered. The same routes answer under /api/v1."),
    paths(mint, mint_batch, validate, health, metrics),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct AuthorityDoc;

/// The authority's OpenAPI document, as JSON.
pub fn authority_openapi_json() -> String {
    let codes: Vec<&str> = ErrorCode::EDGE
        .iter()
        .chain(ErrorCode::AUTHORITY)
        .map(|code| code.as_str())
        .collect();
    super::document_json(
        AuthorityDoc::openapi(),
        &codes,
        &["/v1/mint", "/v1/mint/batch"],
        |_| {},
    )
}
