//! The authority's answers and its OpenAPI document.

use utoipa::OpenApi;

use chittyid_app::error_code::ErrorCode;

pub use chittyid_protocol::{AuthorityHealth, BatchAnswer, IdProblem, MintAnswer, ValidateAnswer};

use super::{BearerAuth, ErrorBody};

/// The authority's document. The same routes answer under `/api/v1/`.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "chittyid authority", description = "The reference ChittyID authority: unique canonical IDs, every mint durable before it is answered, each appended to a signed, verifiable mint log (docs/log.md). The same routes answer under /api/v1."),
    paths(
        crate::authority::handlers::mint,
        crate::authority::handlers::mint_batch,
        crate::authority::handlers::validate,
        crate::authority::handlers::health,
        crate::authority::handlers::metrics,
        crate::authority::log::checkpoint,
        crate::authority::log::key,
        crate::authority::log::proof,
        crate::authority::log::consistency
    ),
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
