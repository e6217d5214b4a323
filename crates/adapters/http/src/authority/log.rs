//! The mint log's public endpoints (docs/log.md): the latest signed checkpoint, the verifier
//! key, inclusion and consistency proofs. No token: they reveal no name or metadata, and anyone
//! should be able to check the log.

use axum::extract::State;
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chittyid_app::authority::{InclusionProof, LogProofError};
use chittyid_app::error_code::ErrorCode;
use chittyid_domain::ChittyId;
use chittyid_domain::log::ProofRequestError;
use chittyid_protocol::{LogConsistencyProof, LogInclusionProof};
use http::StatusCode;
use std::sync::Arc;

use super::AuthorityApi;
use crate::contract::ErrorBody;
use crate::error::{ApiError, json_response};
use crate::extract::IdInPath;

type Api = State<Arc<AuthorityApi>>;

/// A signed note or a key: plain text, as checkers of those formats read it.
fn text(body: String) -> http::Response<http_body_util::Full<bytes::Bytes>> {
    let mut response = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[utoipa::path(
    get, path = "/v1/log/checkpoint", tag = "log",
    responses(
        (status = 200, description = "The latest checkpoint: a C2SP signed note whose text is a tlog-checkpoint (origin, tree size, base64 root hash)", content_type = "text/plain", body = String),
        (status = 503, body = ErrorBody),
    )
)]
pub(crate) async fn checkpoint(State(api): Api) -> axum::response::Response {
    api.log
        .checkpoint_note()
        .await
        .map(text)
        .map_err(proof_error)
        .into_response()
}

#[utoipa::path(
    get, path = "/v1/log/key", tag = "log",
    responses((status = 200, description = "The log's note verifier key: `<name>+<hex key hash>+<base64 of 0x01 and the Ed25519 public key>`", content_type = "text/plain", body = String))
)]
pub(crate) async fn key(State(api): Api) -> axum::response::Response {
    text(format!("{}\n", api.log.verifier_key().encode())).into_response()
}

#[utoipa::path(
    get, path = "/v1/log/proof/{id}", tag = "log",
    params(
        ("id" = String, Path, description = "A canonical ChittyID, percent-encoded"),
        ("size" = Option<u64>, Query, description = "The tree size to prove against (a checkpoint's); the latest checkpoint's if absent"),
    ),
    responses(
        (status = 200, body = LogInclusionProof),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody),
    )
)]
pub(crate) async fn proof(
    State(api): Api,
    IdInPath(input): IdInPath,
    uri: http::Uri,
) -> axum::response::Response {
    let answer = async {
        // Any text is a fair question (the path is any string): what is no canonical ID is in
        // no leaf of the log.
        let id = ChittyId::parse(input.trim()).map_err(|err| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotLogged,
                format!(
                    "{input:?} is not a canonical ChittyID ({err}), so it is in no leaf of the log"
                ),
            )
        })?;
        let size = query_number(uri.query().unwrap_or(""), "size")?;
        let proof = api.log.inclusion(&id, size).await.map_err(proof_error)?;
        Ok::<_, ApiError>(json_response(
            StatusCode::OK,
            &LogInclusionProof {
                index: proof.index,
                tree_size: proof.tree_size,
                leaf: BASE64.encode(&proof.leaf),
                hashes: proof
                    .hashes
                    .iter()
                    .map(|hash| BASE64.encode(hash))
                    .collect(),
            },
        ))
    };
    answer.await.into_response()
}

#[utoipa::path(
    get, path = "/v1/log/consistency", tag = "log",
    params(
        ("from" = u64, Query, description = "The older tree's size"),
        ("to" = u64, Query, description = "The newer tree's size, at most the latest checkpoint's"),
    ),
    responses(
        (status = 200, body = LogConsistencyProof),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
pub(crate) async fn consistency(State(api): Api, uri: http::Uri) -> axum::response::Response {
    let answer = async {
        let query = uri.query().unwrap_or("");
        let required = |name: &'static str| {
            query_number(query, name)?.ok_or_else(|| {
                ApiError::bad_request(ErrorCode::InvalidQuery, format!("{name} is required"))
            })
        };
        let (from, to) = (required("from")?, required("to")?);
        let hashes = api.log.consistency(from, to).await.map_err(proof_error)?;
        Ok::<_, ApiError>(json_response(
            StatusCode::OK,
            &LogConsistencyProof {
                from,
                to,
                hashes: hashes.iter().map(|hash| BASE64.encode(hash)).collect(),
            },
        ))
    };
    answer.await.into_response()
}

/// A proof as the protocol gives it: leaf and hashes in standard base64.
pub(crate) fn proof_answer(proof: &InclusionProof) -> LogInclusionProof {
    LogInclusionProof {
        index: proof.index,
        tree_size: proof.tree_size,
        leaf: BASE64.encode(&proof.leaf),
        hashes: proof
            .hashes
            .iter()
            .map(|hash| BASE64.encode(hash))
            .collect(),
    }
}

/// A query parameter that is a decimal tree size, if present (the last one given).
fn query_number(query: &str, name: &str) -> Result<Option<u64>, ApiError> {
    let mut found = None;
    for pair in query.split('&') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        if key == name {
            let number = value.parse::<u64>().ok().filter(|n| *n <= i64::MAX as u64);
            found = Some(number.ok_or_else(|| {
                ApiError::bad_request(
                    ErrorCode::InvalidQuery,
                    format!("{name}={value}: expected a tree size (a decimal number)"),
                )
            })?);
        }
    }
    Ok(found)
}

fn proof_error(err: LogProofError) -> ApiError {
    match err {
        LogProofError::NotLogged(_) => {
            ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotLogged, err.to_string())
        }
        LogProofError::NotYetCheckpointed { .. }
        | LogProofError::BeyondCheckpoint { .. }
        | LogProofError::Request(
            ProofRequestError::IndexOutOfRange { .. } | ProofRequestError::SizesOutOfOrder { .. },
        ) => ApiError::new(StatusCode::CONFLICT, ErrorCode::LogSize, err.to_string()),
        LogProofError::LedgerChanged(_) | LogProofError::Request(ProofRequestError::Missing(_)) => {
            tracing::error!(error = %err, "the mint log and the ledger disagree");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::LogInconsistent,
                format!("{err}; the operator's `chittyid authority verify-log` says where"),
            )
        }
        LogProofError::Store(err) => {
            tracing::error!(error = %format!("{err:#}"), "reading the mint log failed");
            let mut api = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::StoreUnavailable,
                "the authority's store is unavailable",
            );
            api.retry_after = Some(1);
            api
        }
    }
}
