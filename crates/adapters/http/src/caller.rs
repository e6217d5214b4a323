//! The gateway's caller as an extractor: a handler that takes `Caller<GENERATE>` or
//! `Caller<VALIDATE>` runs only for a request whose API key is accepted and may do that, and
//! gets the key's hash; a refusal is the error model's `401` or `403`, decided before the body
//! is read.

use std::sync::Arc;

use axum::extract::FromRequestParts;
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
