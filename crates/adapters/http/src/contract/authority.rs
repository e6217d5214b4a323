//! The authority's answers and its OpenAPI document.

use utoipa::OpenApi;

use chittyid_app::error_code::ErrorCode;

pub use chittyid_protocol::{AuthorityHealth, BatchAnswer, IdProblem, MintAnswer, ValidateAnswer};

use super::{BatchRequestSchema, BearerAuth, ErrorBody, MintRequestSchema};

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
