//! The gateway's documented handlers, each with its OpenAPI description: the document is
//! generated from these (see [`crate::contract::GatewayDoc`]) and the router serves them at the
//! paths they give (and at the aliases the router adds).

use super::*;
use crate::contract::{
    BatchRequestSchema, ErrorBody, GatewayHealth, GatewayV1Health, GatewayV1Validate,
    MintRequestSchema, ReadyAnswer, StatusAnswer, ValidateBatchAnswer, ValidateBatchRequestSchema,
    ValidationReportSchema,
};

type Api = State<Arc<GatewayApi>>;

#[utoipa::path(
    post, path = "/api/id/generate", tag = "gateway",
    description = "Generate one ID through the authority. Also answers at /api/id/mint.",
    request_body = MintRequestSchema,
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters: the same key and request get the same ID for 24 hours")),
    responses(
        (status = 200, body = GenerateAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 408, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody), (status = 504, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn generate(
    State(api): Api,
    Caller(caller): Caller<GENERATE>,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    RequestId(request_id): RequestId,
    JsonBody(body): JsonBody<MAX_MINT_BODY_BYTES>,
) -> axum::response::Response {
    api.generate(caller, key, request_id, body, false, Dialect::Strict)
        .await
        .into_response()
}

#[utoipa::path(
    post, path = "/api/id/generate/batch", tag = "gateway",
    description = "Generate 1 to 100 IDs. Also answers at /api/id/mint/batch.",
    request_body = BatchRequestSchema,
    params(("Idempotency-Key" = Option<String>, Header, description = "as for /api/id/generate")),
    responses(
        (status = 200, body = GenerateBatchAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 408, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody), (status = 504, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn generate_batch(
    State(api): Api,
    Caller(caller): Caller<GENERATE>,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    RequestId(request_id): RequestId,
    JsonBody(body): JsonBody<MAX_BATCH_BODY_BYTES>,
) -> axum::response::Response {
    api.generate(caller, key, request_id, body, true, Dialect::Strict)
        .await
        .into_response()
}

#[utoipa::path(
    get, path = "/api/id/validate/{id}", tag = "gateway",
    params(
        ("id" = String, Path, description = "The input, percent-encoded"),
        ("verify" = Option<bool>, Query, description = "Also ask the authority whether it minted the ID, through the cache"),
        ("legacy" = Option<bool>, Query, description = "Accept the legacy year-month form"),
    ),
    responses(
        (status = 200, body = ValidationReportSchema),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody), (status = 504, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn validate(
    State(api): Api,
    Caller(caller): Caller<VALIDATE>,
    IdInPath(id): IdInPath,
    flags: ValidateFlags,
    RequestId(request_id): RequestId,
) -> axum::response::Response {
    with_request_id(request_id, api.validate_one(&id, flags, caller))
        .await
        .into_response()
}

#[utoipa::path(
    post, path = "/api/id/validate", tag = "gateway",
    request_body = ValidateBatchRequestSchema,
    responses(
        (status = 200, body = ValidateBatchAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 408, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 429, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn validate_batch(
    State(api): Api,
    Caller(caller): Caller<VALIDATE>,
    JsonBody(body): JsonBody<MAX_VALIDATE_BODY_BYTES>,
) -> axum::response::Response {
    api.validate_batch(caller, &body).await.into_response()
}

#[utoipa::path(
    get, path = "/health", tag = "operations",
    responses((status = 200, body = GatewayHealth))
)]
pub(crate) async fn health(State(api): Api) -> Response<Full<Bytes>> {
    api.health().await
}

#[utoipa::path(
    get, path = "/ready", tag = "operations",
    responses((status = 200, body = ReadyAnswer), (status = 503, body = ReadyAnswer))
)]
pub(crate) async fn ready(State(api): Api) -> Response<Full<Bytes>> {
    api.ready().await
}

#[utoipa::path(
    get, path = "/api/id/health", tag = "operations",
    responses((status = 200, body = HealthDocument))
)]
pub(crate) async fn health_document(State(api): Api) -> Response<Full<Bytes>> {
    api.health_document().await
}

#[utoipa::path(
    get, path = "/", tag = "operations",
    description = "The status page: a self-contained HTML page drawing /api/id/status.",
    responses((status = 200, description = "HTML", content_type = "text/html", body = String))
)]
pub(crate) async fn status_page() -> impl IntoResponse {
    (
        [
            (http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (http::header::CONTENT_SECURITY_POLICY, STATUS_PAGE_POLICY),
        ],
        STATUS_PAGE,
    )
}

#[utoipa::path(
    get, path = "/api/id/status", tag = "operations",
    responses((status = 200, body = StatusAnswer))
)]
pub(crate) async fn status(State(api): Api) -> Response<Full<Bytes>> {
    api.status().await
}

#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    description = "Open by default; with --metrics-require-key, only to an API key with the metrics scope.",
    responses(
        (status = 200, description = "Prometheus text", content_type = "text/plain", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub(crate) async fn metrics(
    State(api): Api,
    headers: http::HeaderMap,
) -> Result<Response<Full<Bytes>>, ApiError> {
    if api.metrics_require_key {
        api.authorize(&headers, Scope::Metrics)?;
    }
    Ok(api.metrics(&headers).await)
}

#[utoipa::path(
    post, path = "/v1/mint", tag = "authority protocol",
    description = "The authority's mint, through the gateway's policies, with an API key as the token. Also accepts the ChittyOS callers' dialects (the entity as entityType, entity_type or type; aliases of entity names; fields of their own kept as metadata) and answers the ID as chitty_id and id too.",
    request_body = MintRequestSchema,
    params(("Idempotency-Key" = Option<String>, Header, description = "as for /api/id/generate")),
    responses(
        (status = 200, body = CompatMintAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 408, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody), (status = 504, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn v1_mint(
    State(api): Api,
    Caller(caller): Caller<GENERATE>,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    RequestId(request_id): RequestId,
    JsonBody(body): JsonBody<MAX_MINT_BODY_BYTES>,
) -> axum::response::Response {
    api.generate(caller, key, request_id, body, false, Dialect::Callers)
        .await
        .into_response()
}

#[utoipa::path(
    post, path = "/v1/mint/batch", tag = "authority protocol",
    request_body = BatchRequestSchema,
    params(("Idempotency-Key" = Option<String>, Header, description = "as for /api/id/generate")),
    responses(
        (status = 200, body = GenerateBatchAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 408, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody), (status = 504, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn v1_mint_batch(
    State(api): Api,
    Caller(caller): Caller<GENERATE>,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    RequestId(request_id): RequestId,
    JsonBody(body): JsonBody<MAX_BATCH_BODY_BYTES>,
) -> axum::response::Response {
    api.generate(caller, key, request_id, body, true, Dialect::Callers)
        .await
        .into_response()
}

#[utoipa::path(
    get, path = "/v1/validate/{id}", tag = "authority protocol",
    params(("id" = String, Path, description = "The ID, percent-encoded")),
    responses(
        (status = 200, body = GatewayV1Validate),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody), (status = 504, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn v1_validate(
    State(api): Api,
    Caller(caller): Caller<VALIDATE>,
    IdInPath(input): IdInPath,
    RequestId(request_id): RequestId,
) -> axum::response::Response {
    api.v1_validate_input(input, caller, request_id)
        .await
        .into_response()
}

#[utoipa::path(
    get, path = "/v1/health", tag = "authority protocol",
    responses((status = 200, body = GatewayV1Health), (status = 503, body = GatewayV1Health))
)]
pub(crate) async fn v1_health(State(api): Api) -> Response<Full<Bytes>> {
    api.v1_health().await
}
