//! What the gateway's handlers take from a request, as extractors whose refusals are the error
//! model's answers: the caller (`Caller<GENERATE>`, `Caller<VALIDATE>`: an accepted API key that
//! may do that, `401`/`403` decided before the body is read), the ID in the path (decoded from the
//! raw path, so that an ID's own characters never split or shift a route), the validate flags
//! (`verify`, `legacy`: booleans, `400 invalid_query` otherwise) and the request id.

use chittyid_app::error_code::ErrorCode;
use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams};
use chittyid_app::authority::CallerHash;
use chittyid_app::gateway::Scope;
use http::request::Parts;

use crate::error::ApiError;
use crate::gateway::GatewayApi;

/// `Caller<GENERATE>`: the key may generate.
pub(crate) const GENERATE: u8 = 0;
/// `Caller<VALIDATE>`: the key may validate and verify.
pub(crate) const VALIDATE: u8 = 1;

/// The hash of an accepted API key with the scope `SCOPE` names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller<const SCOPE: u8>(pub(crate) CallerHash);

impl<const SCOPE: u8> FromRequestParts<Arc<GatewayApi>> for Caller<SCOPE> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        api: &Arc<GatewayApi>,
    ) -> Result<Self, Self::Rejection> {
        let scope = if SCOPE == GENERATE {
            Scope::Generate
        } else {
            Scope::Validate
        };
        api.authorize(&parts.headers, scope).map(Self)
    }
}

/// The ID (or any input) in the route's wildcard or last segment, percent-decoded from the raw
/// path.
#[derive(Debug, Clone)]
pub(crate) struct IdInPath(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for IdInPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // axum's raw (still percent-encoded) capture of `{id}` or `{*id}`, decoded here.
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::internal())?;
        let raw = params
            .iter()
            .find(|(name, _)| *name == "id")
            .map(|(_, value)| value)
            .ok_or_else(ApiError::internal)?;
        crate::authority::percent_decode(raw).map(Self)
    }
}

/// `?verify=` and `?legacy=` of a validate call.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ValidateFlags {
    pub(crate) verify: bool,
    pub(crate) legacy: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for ValidateFlags {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        Ok(Self {
            verify: query_flag(query, "verify")?,
            legacy: query_flag(query, "legacy")?,
        })
    }
}

/// `?proof=true` on a mint: answer with a receipt from the mint log.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ReceiptFlag(pub(crate) bool);

impl<S: Send + Sync> FromRequestParts<S> for ReceiptFlag {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        query_flag(parts.uri.query().unwrap_or(""), "proof").map(Self)
    }
}

/// A boolean query parameter: `true`/`1`/`yes` (or the name alone), `false`/`0`/`no`, absent
/// for false; anything else (`verify=null`) is `400 invalid_query`, as the document's `boolean`
/// promises.
fn query_flag(query: &str, name: &str) -> Result<bool, ApiError> {
    let mut flag = false;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, "true"));
        if key != name {
            continue;
        }
        flag = match value {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            other => {
                return Err(ApiError::bad_request(
                    ErrorCode::InvalidQuery,
                    format!("{name}={other}: expected true or false"),
                ));
            }
        };
    }
    Ok(flag)
}

/// The request's `x-request-id` (set by the edge, or the client's own), to pass on to the
/// authority.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub(crate) Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ))
    }
}

/// The `Idempotency-Key` header, when sent: 1 to 255 visible ASCII characters
/// (`400 invalid_idempotency_key` otherwise).
#[derive(Debug, Clone)]
pub(crate) struct IdempotencyKeyHeader(pub(crate) Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKeyHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(Self(None));
        };
        let bad = || {
            ApiError::bad_request(
                ErrorCode::InvalidIdempotencyKey,
                "the Idempotency-Key header must be 1 to 255 visible ASCII characters",
            )
        };
        let key = value.to_str().map_err(|_| bad())?;
        if key.is_empty()
            || key.len() > 255
            || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        {
            return Err(bad());
        }
        Ok(Self(Some(key.to_owned())))
    }
}

/// A JSON request body of at most `LIMIT` bytes, read by the request's deadline
/// (`415`, `413`, `408` otherwise: see [`crate::body::read_json_body`]).
#[derive(Debug, Clone)]
pub(crate) struct JsonBody<const LIMIT: usize>(pub(crate) bytes::Bytes);

impl<S: Send + Sync, const LIMIT: usize> axum::extract::FromRequest<S> for JsonBody<LIMIT> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, _: &S) -> Result<Self, Self::Rejection> {
        crate::body::read_json_body(request, LIMIT).await.map(Self)
    }
}

/// The caller of the authority: the SHA-256 of an accepted bearer token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenCaller(pub(crate) CallerHash);

impl FromRequestParts<Arc<crate::authority::AuthorityApi>> for TokenCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        api: &Arc<crate::authority::AuthorityApi>,
    ) -> Result<Self, Self::Rejection> {
        api.authenticate(&parts.headers)
            .map(|digest| Self(CallerHash(digest)))
    }
}
