//! The authority's handlers, each with its OpenAPI description: the document is generated from
//! these (see [`crate::contract::AuthorityDoc`]) and the router serves them at the paths they
//! give.

use super::*;
use crate::contract::{BatchRequestSchema, ErrorBody, MintRequestSchema};
use crate::extract::ReceiptFlag;

type Api = State<Arc<AuthorityApi>>;

#[utoipa::path(
    post, path = "/v1/mint", tag = "authority",
    request_body = MintRequestSchema,
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters: a repeat gets the same ID for 24 hours"),
        ("proof" = Option<bool>, Query, description = "Wait (up to 2 s) for the signed checkpoint that holds the ID and answer it with the ID's inclusion proof as `receipt`; absent if none came in time (the ID is minted all the same)"),
    ),
    responses(
        (status = 200, body = MintAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 408, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn mint(
    State(api): Api,
    TokenCaller(caller): TokenCaller,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    ReceiptFlag(receipt): ReceiptFlag,
    JsonBody(body): JsonBody<MAX_MINT_BODY_BYTES>,
) -> axum::response::Response {
    api.mint(caller, key, &body, receipt).await.into_response()
}

#[utoipa::path(
    post, path = "/v1/mint/batch", tag = "authority",
    request_body = BatchRequestSchema,
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "as for /v1/mint"),
        ("proof" = Option<bool>, Query, description = "as for /v1/mint: one checkpoint, a proof per ID"),
    ),
    responses(
        (status = 200, body = BatchAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 408, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn mint_batch(
    State(api): Api,
    TokenCaller(caller): TokenCaller,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    ReceiptFlag(receipt): ReceiptFlag,
    JsonBody(body): JsonBody<MAX_BATCH_BODY_BYTES>,
) -> axum::response::Response {
    api.mint_batch(caller, key, &body, receipt)
        .await
        .into_response()
}

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
pub(crate) async fn validate(
    State(api): Api,
    TokenCaller(caller): TokenCaller,
    IdInPath(id): IdInPath,
) -> axum::response::Response {
    api.validate(&id, caller).await.into_response()
}

#[utoipa::path(
    get, path = "/v1/health", tag = "authority",
    responses((status = 200, body = AuthorityHealth), (status = 503, body = AuthorityHealth))
)]
pub(crate) async fn health(State(api): Api) -> Response<Full<Bytes>> {
    api.health().await
}

#[utoipa::path(
    get, path = "/v1/metrics", tag = "authority",
    responses((status = 200, description = "Prometheus text", content_type = "text/plain", body = String))
)]
pub(crate) async fn metrics(State(api): Api, headers: http::HeaderMap) -> Response<Full<Bytes>> {
    let up = api.service.health().await.is_ok();
    api.counters.store_up.store(up, Ordering::Relaxed);
    // A store that cannot say keeps the figures of the last scrape.
    if let Ok(spaces) = api
        .service
        .fullest_spaces(crate::metrics::FULLEST_SPACES_EXPORTED)
        .await
    {
        *api.counters
            .fullest_spaces
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = spaces;
    }
    api.metrics.answer(&headers)
}
