//! Bearer tokens: kept as SHA-256 digests, compared in constant time, never logged.

use chittyid_app::authority::CallerHash;
use chittyid_app::error_code::ErrorCode;
use http::{HeaderMap, StatusCode, header};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// The accepted tokens, as digests.
#[derive(Clone)]
pub struct TokenSet {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenSet({} tokens)", self.digests.len())
    }
}

fn digest(token: &str) -> [u8; 32] {
    CallerHash::of_token(token).0
}

impl TokenSet {
    pub fn new<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            digests: tokens.into_iter().map(digest).collect(),
        }
    }

    /// Accepts the tokens whose SHA-256 digests are given (a file of key hashes).
    pub fn from_digests(digests: Vec<[u8; 32]>) -> Self {
        Self { digests }
    }

    pub fn len(&self) -> usize {
        self.digests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// The accepted digests.
    pub fn digests(&self) -> &[[u8; 32]] {
        &self.digests
    }

    /// The caller's token digest if the `Authorization: Bearer` header holds an accepted token.
    /// Every accepted digest is compared, whatever matches, so timing says nothing.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<[u8; 32], ApiError> {
        let candidate = bearer_digest(headers)?;
        let matched = self
            .digests
            .iter()
            .fold(subtle::Choice::from(0), |found, known| {
                found | known.ct_eq(&candidate)
            });
        if bool::from(matched) {
            Ok(candidate)
        } else {
            Err(invalid_token())
        }
    }
}

/// The answer to a bearer token that is not accepted.
pub(crate) fn invalid_token() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidToken,
        "the bearer token is not accepted here",
    )
}

/// The SHA-256 digest of the `Authorization: Bearer` token, or `401 missing_token`.
pub(crate) fn bearer_digest(headers: &HeaderMap) -> Result<[u8; 32], ApiError> {
    {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::MissingToken,
                    "send Authorization: Bearer <token>",
                )
            })?;
        Ok(digest(presented))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(value).expect("ascii"),
        );
        headers
    }

    #[test]
    fn accepts_configured_tokens_only() {
        let tokens = TokenSet::new(["alpha", "beta"]);
        assert!(tokens.authenticate(&headers("Bearer beta")).is_ok());
        assert_eq!(
            tokens
                .authenticate(&headers("Bearer gamma"))
                .map_err(|e| e.code.as_str().to_owned()),
            Err("invalid_token".to_owned())
        );
        assert_eq!(
            tokens
                .authenticate(&headers("Basic YWxwaGE="))
                .map_err(|e| e.code.as_str().to_owned()),
            Err("missing_token".to_owned())
        );
        assert_eq!(
            tokens
                .authenticate(&HeaderMap::new())
                .map_err(|e| e.code.as_str().to_owned()),
            Err("missing_token".to_owned())
        );
        assert!(!format!("{tokens:?}").contains("alpha"));
    }
}
